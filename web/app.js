// Pipewright's live dashboard: plain JavaScript, no build step, no library.
// It signs in with an admin token kept in this tab's memory only, then
// follows the node over the admins WebSocket room (?stats=1: one stats frame
// a second, plus dlq.added events) and the admin REST routes. Rendering is
// aggregated: at most one DOM update per stats frame, lists are re-read at
// most once a second and only when the figures say they changed, and rows
// and cells are touched only when their text changes - so 2,000 items/s
// cost the page what 2 items/s do.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const { setText, setClass, fmtMs, fmtBytes, fmtTime, fmtAge, push, statsList, syncRows, fillCells, drawChart } = window.pw;

  const state = {
    token: null,
    ws: null,
    wsAttempts: 0,
    last: null,         // the latest stats document
    lastAt: 0,          // when it arrived (ms)
    pending: null,      // a frame waiting for the next animation frame
    series: { done: [], bad: [], accepted: [], p95: [], p50: [], lag: [] },
    dirty: { dlq: true, failed: true, recent: true },
    inflight: {},
    lastFullRefresh: 0,
    timer: null,
    dlq: [],
    confirmAll: null,
  };

  let toastTimer = null;
  function toast(msg, bad) {
    const t = $('toast');
    t.textContent = msg;
    t.className = bad ? 'toast bad' : 'toast';
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 4000);
  }


  // --- the REST API ----------------------------------------------------------
  async function api(method, path, body) {
    const headers = { Authorization: 'Bearer ' + state.token };
    const init = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    let data = null;
    try { data = await res.json(); } catch (_) { /* not JSON */ }
    if (!res.ok) {
      const e = new Error((data && data.error && data.error.message) || res.statusText || 'request failed');
      e.status = res.status;
      throw e;
    }
    return data;
  }

  function refusal(e) {
    if (e.status === 401) return 'The node refused this token: ' + e.message + '. Mint a new one with `pipewright token --role admin`.';
    if (e.status === 403) return 'This token is not an admin token: the dashboard needs role "admin" (' + e.message + ').';
    if (e.status) return 'The node answered ' + e.status + ': ' + e.message;
    return 'Cannot reach the node: ' + e.message;
  }

  // A refused token at any point ends the session with the reason shown.
  function handleError(e, what) {
    if (e.status === 401 || e.status === 403) return signOut(refusal(e));
    toast(what + ': ' + e.message, true);
  }

  // --- sign in and out -------------------------------------------------------
  function showLoginError(msg) {
    const el = $('login-error');
    el.textContent = msg;
    el.hidden = false;
  }

  async function signIn(token) {
    $('login-error').hidden = true;
    if (!token) return showLoginError('Paste a token first.');
    state.token = token;
    $('login-button').disabled = true;
    try {
      const report = await api('GET', '/api/v1/admin/actors');
      $('token').value = '';
      $('login').hidden = true;
      $('board').hidden = false;
      $('health').hidden = false;
      onStats(report);
      openSocket();
      state.timer = setInterval(tick, 1000);
      refreshLists(true);
    } catch (e) {
      state.token = null;
      showLoginError(refusal(e));
    } finally {
      $('login-button').disabled = false;
    }
  }

  function signOut(reason) {
    state.token = null;
    if (state.ws) {
      state.ws.onclose = null;
      state.ws.close();
      state.ws = null;
    }
    clearInterval(state.timer);
    state.last = null;
    for (const k of Object.keys(state.series)) state.series[k] = [];
    $('board').hidden = true;
    $('health').hidden = true;
    $('login').hidden = false;
    if (reason) showLoginError(reason);
  }

  // --- live frames -------------------------------------------------------------
  function openSocket() {
    if (!state.token) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(proto + '//' + location.host + '/api/v1/ws?stats=1&token=' + encodeURIComponent(state.token));
    state.ws = ws;
    ws.onopen = () => {
      state.wsAttempts = 0;
      setPill('pill-live', 'live', 'ok');
      // Fresh figures now rather than at the next frame (after a reconnect).
      api('GET', '/api/v1/admin/actors').then(onStats, (e) => { if (e.status) handleError(e, 'status'); });
      refreshLists(true);
    };
    ws.onmessage = (ev) => {
      let f;
      try { f = JSON.parse(ev.data); } catch (_) { return; }
      if (f.type === 'stats') {
        // Aggregated: only the newest frame is rendered, on the next paint.
        if (!state.pending) requestAnimationFrame(renderPending);
        state.pending = f;
      } else if (f.type === 'dlq.added') {
        state.dirty.dlq = true;
        state.dirty.failed = true;
      }
    };
    ws.onclose = () => {
      setPill('pill-live', 'offline', 'bad');
      if (!state.token) return;
      // Find out whether the token still holds before trying again.
      api('GET', '/api/v1/admin/actors').then(onStats, (e) => {
        if (e.status === 401 || e.status === 403) signOut(refusal(e));
      });
      const delay = Math.min(10000, 500 * 2 ** state.wsAttempts++);
      setTimeout(() => { if (state.token && state.ws === ws) openSocket(); }, delay);
    };
  }

  function renderPending() {
    const f = state.pending;
    state.pending = null;
    if (f && state.token) onStats(f);
  }

  function tick() {
    if (!state.token) return;
    // No frame for 3 s (socket down): read the report over REST.
    if (Date.now() - state.lastAt > 3000)
      api('GET', '/api/v1/admin/actors').then(onStats, (e) => { if (e.status) handleError(e, 'status'); });
    refreshLists(Date.now() - state.lastFullRefresh > 10000);
  }

  // --- the figures ---------------------------------------------------------------
  function sum(obj) {
    let n = 0;
    for (const v of Object.values(obj || {})) n += v;
    return n;
  }

  function onStats(r) {
    let prev = state.last;
    // A restarted node counts from zero again: no rates across the restart.
    if (prev && (r.uptime_s < prev.uptime_s || Date.parse(r.at) <= Date.parse(prev.at))) prev = null;
    state.last = r;
    state.lastAt = Date.now();
    if (prev) {
      const dt = Math.max(0.001, (Date.parse(r.at) - Date.parse(prev.at)) / 1000);
      const f = r.finished, p = prev.finished;
      const done = Math.max(0, f.completed - p.completed) / dt;
      const bad = Math.max(0, f.partial + f.failed - p.partial - p.failed) / dt;
      const acc = Math.max(0, (r.accepted || 0) - (prev.accepted || 0)) / dt;
      push(state.series.done, done);
      push(state.series.bad, bad);
      push(state.series.accepted, acc);
      setText($('rate'), (done + bad).toFixed(done + bad >= 10 ? 0 : 1));
      if (sum(r.items) !== sum(prev.items) || sum(r.finished) !== sum(p)) state.dirty.recent = true;
      if (r.queue.dead !== prev.queue.dead) state.dirty.dlq = true;
      if (r.items.failed !== prev.items.failed || r.items.partial !== prev.items.partial) state.dirty.failed = true;
      r.cpuPercent = ((r.node.cpu_seconds - prev.node.cpu_seconds) / dt) * 100;
      r.dt = dt;
    }
    let p95 = null, p50 = null;
    for (const q of Object.values(r.item_duration_last_minute || {})) {
      if (q.count > 0 && (p95 === null || q.p95_ms > p95)) { p95 = q.p95_ms; p50 = q.p50_ms; }
    }
    push(state.series.p95, p95);
    push(state.series.p50, p50);
    push(state.series.lag, r.commit_to_socket.last_minute.p99_ms);
    setText($('lat-p95'), fmtMs(p95));
    setText($('lat-p50'), fmtMs(p50));
    renderHealth(r);
    renderQueue(r);
    renderNode(r);
    renderStages(r);
    renderActors(r, prev);
    drawCharts();
  }

  function drawCharts() {
    drawChart($('chart-throughput'), [
      { values: state.series.accepted, color: '--acc' },
      { values: state.series.done, color: '--ok' },
      { values: state.series.bad, color: '--bad' },
    ]);
    drawChart($('chart-latency'), [
      { values: state.series.p95, color: '--warn' },
      { values: state.series.p50, color: '--p50' },
      { values: state.series.lag, color: '--lag' },
    ]);
  }

  function setPill(id, text, kind) {
    const el = $(id);
    setText(el, text);
    setClass(el, 'pill ' + kind);
  }

  function renderHealth(r) {
    const n = r.node;
    if (n.draining) setPill('pill-ready', 'draining', 'warn');
    else setPill('pill-ready', n.ready ? 'ready' : 'recovering', n.ready ? 'ok' : 'warn');
    setPill('pill-store', n.store_healthy ? (n.write_stopped ? 'store stalled' : 'store ok') : 'store failed',
      n.store_healthy && !n.write_stopped ? 'ok' : 'bad');
    setText($('node-line'), 'v' + r.version + ' · up ' + fmtAge(r.uptime_s) + ' · ' + fmtBytes(n.rss_bytes));
  }

  function renderQueue(r) {
    const q = r.queue;
    statsList($('queue'), [
      ['waiting', 'waiting', q.waiting], ['active', 'active', q.active], ['delayed', 'delayed (retrying)', q.delayed],
      ['dead', 'dead letters', q.dead], ['oldest', 'oldest waiting', fmtAge(q.oldest_waiting_s)],
    ]);
    statsList($('items'), Object.entries(r.items).map(([k, v]) => [k, k, v]));
    setText($('dlq-count'), q.dead + ' open');
  }

  function renderNode(r) {
    const n = r.node, ws = r.websockets, lag = r.commit_to_socket.last_minute;
    statsList($('node'), [
      ['cpu', 'CPU', r.cpuPercent === undefined ? '–' : r.cpuPercent.toFixed(0) + ' %'],
      ['rss', 'memory (RSS)', fmtBytes(n.rss_bytes)],
      ['fds', 'open files', n.open_fds], ['threads', 'threads', n.threads],
      ['sockets', 'WebSockets', ws.open],
      ['lag50', 'commit → socket p50', fmtMs(lag.p50_ms) + ' ms'],
      ['lag99', 'commit → socket p99', fmtMs(lag.p99_ms) + ' ms'],
      ['compaction', 'pending compaction', fmtBytes(n.pending_compaction_bytes)],
      ['batches', 'store batches', r.store.batches],
    ]);
  }

  function renderStages(r) {
    const rows = r.stages.map((s) => {
      const failed = s.attempts.transient_error + s.attempts.permanent_error + s.attempts.timeout + s.attempts.crashed;
      return [s.pipeline === 'feedback' ? s.stage : s.pipeline + '/' + s.stage, s.backend, s.workers, s.attempts.completed,
        failed, s.retries, s.dead_letters, fmtMs(s.last_minute.p50_ms), fmtMs(s.last_minute.p95_ms),
        fmtMs(s.last_minute.p99_ms)];
    });
    syncRows($('stages').tBodies[0], rows, (row) => row[0], 10, fillCells);
  }

  function renderActors(r, prev) {
    const rows = Object.entries(r.actors.kinds).map(([kind, a]) => {
      let rate = '–';
      if (prev && r.dt) rate = Math.max(0, (a.messages - prev.actors.kinds[kind].messages) / r.dt).toFixed(0);
      const age = a.oldest_message_age_ms === null ? '–' : fmtMs(a.oldest_message_age_ms) + ' ms';
      return [kind, a.alive, rate, a.mailbox_depth_max, age, fmtMs(a.processing_last_minute.p95_ms)];
    });
    syncRows($('actors').tBodies[0], rows, (row) => row[0], 6, fillCells);
    setText($('actors-running'), '(' + r.actors.running + ' actors in the system, ' + r.actors.timers_pending + ' timers)');
  }

  // --- lists (REST, only when the figures say they changed) -----------------
  function refreshLists(all) {
    if (all) {
      state.lastFullRefresh = Date.now();
      state.dirty.dlq = state.dirty.failed = state.dirty.recent = true;
    }
    if (state.dirty.dlq) load('dlq', '/api/v1/admin/dlq?limit=50', renderDlq);
    if (state.dirty.failed) load('failed', '/api/v1/admin/failed-items?limit=25', renderFailed);
    if (state.dirty.recent) load('recent', '/api/v1/items?limit=15', renderRecent);
  }

  function load(name, path, render) {
    if (state.inflight[name]) return;
    state.dirty[name] = false;
    state.inflight[name] = true;
    api('GET', path)
      .then((data) => { if (state.token) render(data); }, (e) => {
        state.dirty[name] = true;
        // Unreachable: the live pill says so already; read again when back.
        if (e.status) handleError(e, name);
      })
      .finally(() => { state.inflight[name] = false; });
  }

  function button(label, cls, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = cls;
    b.textContent = label;
    b.addEventListener('click', onClick);
    return b;
  }

  async function act(what, fn) {
    try {
      const msg = await fn();
      toast(msg);
    } catch (e) {
      handleError(e, what);
    }
    refreshLists(true);
  }

  function renderDlq(page) {
    state.dlq = page.items;
    syncRows($('dlq').tBodies[0], page.items, (l) => l.id, 6, (tds, l) => {
      fillCells(tds, [l.id, l.workspace, l.error, (l.attempts || []).length, fmtTime(l.at)]);
    }, (tr, l) => {
      tr.children[0].className = 'id';
      tr.children[2].className = 'err';
      tr.children[5].className = 'btns';
      tr.children[5].append(
        button('Requeue', 'small', (ev) => {
          ev.target.disabled = true;
          act('requeue', async () => {
            const r = await api('POST', '/api/v1/admin/dlq/requeue', { ids: [l.id] });
            return 'Requeued ' + r.requeued + ' (' + l.stage + ' of ' + l.item_id + ')';
          });
        }),
        ' ',
        button('Resolve', 'small quiet', (ev) => {
          ev.target.disabled = true;
          act('resolve', async () => {
            await api('POST', '/api/v1/admin/dlq/' + encodeURIComponent(l.id) + '/resolve', {});
            return 'Resolved ' + l.id;
          });
        }));
    });
    $('dlq-empty').hidden = page.items.length > 0;
    $('requeue-all').disabled = page.open === 0;
    setText($('dlq-count'), page.open + ' open');
  }

  function renderFailed(page) {
    syncRows($('failed').tBodies[0], page.items, (it) => it.id, 5, (tds, it) => {
      fillCells(tds, [it.id, it.workspace, it.status,
        it.failed_stages.map((st) => st.stage + ' (' + st.attempts + '×): ' + st.error).join('; ') || 'skipped stages']);
      setClass(tds[2], 'st-' + it.status);
    }, (tr, it) => {
      tr.children[0].className = 'id';
      tr.children[3].className = 'err';
      tr.children[4].className = 'btns';
      tr.children[4].append(button('Retry', 'small', (ev) => {
        ev.target.disabled = true;
        const stages = it.failed_stages.map((st) => st.stage);
        act('retry', async () => {
          await api('POST', '/api/v1/items/' + encodeURIComponent(it.id) + '/retry', stages.length ? { stages } : undefined);
          return 'Retrying ' + (stages.join(', ') || 'the pipeline') + ' of ' + it.id;
        });
      }));
    });
    $('failed-empty').hidden = page.items.length > 0;
  }

  function renderRecent(page) {
    syncRows($('recent').tBodies[0], page.items, (it) => it.id, 5, (tds, it) => {
      fillCells(tds, [it.id, it.workspace, it.owner, it.status, fmtTime(it.created_at)]);
      setClass(tds[3], 'st-' + it.status);
    }, (tr) => { tr.children[0].className = 'id'; });
  }

  // --- wiring ---------------------------------------------------------------------
  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    signIn($('token').value.trim());
  });
  $('logout').addEventListener('click', () => signOut());
  $('requeue-all').addEventListener('click', () => {
    const b = $('requeue-all');
    if (!state.confirmAll) {
      setText(b, 'Click again to requeue all');
      state.confirmAll = setTimeout(() => { state.confirmAll = null; setText(b, 'Requeue all'); }, 4000);
      return;
    }
    clearTimeout(state.confirmAll);
    state.confirmAll = null;
    setText(b, 'Requeue all');
    act('requeue all', async () => {
      const r = await api('POST', '/api/v1/admin/dlq/requeue', { all: true });
      return 'Requeued ' + r.requeued + ' dead letters';
    });
  });
  window.addEventListener('resize', () => { if (state.last) drawCharts(); });
})();
