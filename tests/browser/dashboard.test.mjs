// The dashboard in a real browser: Debian's Chromium, headless, driven by
// puppeteer-core, against a real node on 127.0.0.1 with a real store. Run
// by ctest (tests/CMakeLists.txt) with node's test runner; screenshots go
// to $PW_ARTIFACTS.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

const require = createRequire(path.join(process.env.PW_BROWSER_DIR, 'package.json'));
const puppeteer = require('puppeteer-core');

const BINARY = process.env.PW_BINARY;
const ARTIFACTS = process.env.PW_ARTIFACTS;
const CHROMIUM = process.env.PW_CHROMIUM_WRAPPER;
const SECRET = 'pipewright-browser-test-secret-0123';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- tokens, signed here (not by the server's code) -----------------------
const b64url = (s) => Buffer.from(s).toString('base64url');
function token(sub, role = 'user', workspaces = ['*'], ttl = 3600) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ sub, role, workspaces, exp: Math.floor(Date.now() / 1000) + ttl }));
  const sig = createHmac('sha256', SECRET).update(head + '.' + body).digest('base64url');
  return head + '.' + body + '.' + sig;
}
const ADMIN = token('ops', 'admin');
const USER = token('uma', 'user', ['w1', 'w2']);

// --- the node ------------------------------------------------------------------
const STAGES = [['embed', []], ['classify', ['embed']], ['sentiment', ['embed']], ['urgency', ['embed']],
  ['duplicate', ['embed']], ['theme', ['embed']], ['priority', ['sentiment', 'urgency', 'classify', 'duplicate']]];
function configToml(themeChaos) {
  let out = `[auth]\njwt_secret = "${SECRET}"\n[limits]\nsubmit_rate_per_user = 0\n`;
  out += '[supervision]\nmax_attempts = 2\ninitial_backoff_ms = 20\nmax_backoff_ms = 100\ntimeout_ms = 5000\n';
  for (const [name, after] of STAGES) {
    const chaos = name === 'embed' || (name === 'theme' && themeChaos);
    out += `[pipelines.feedback.stages.${name}]\nbackend = "${chaos ? 'chaos' : 'synthetic'}"\nafter = ${JSON.stringify(after)}\n`;
    // embed takes 300 ms, so an item is seen queued or processing before it completes.
    if (name === 'embed') out += `[pipelines.feedback.stages.embed.chaos]\nlatency = "fixed"\nlatency_min_ms = 300\n`;
    if (name === 'theme' && themeChaos) out += `[pipelines.feedback.stages.theme.chaos]\n${themeChaos}\n`;
  }
  return out;
}

const dir = mkdtempSync(path.join(tmpdir(), 'pipewright-browser-'));
let server = null, port = 0, browser = null, page = null;

async function startServer(toml) {
  writeFileSync(path.join(dir, 'pipewright.toml'), toml);
  // `timeout`: the node stops by itself even if this runner is killed.
  server = spawn('timeout', ['--kill-after=5', '600', BINARY, 'serve', '--config', path.join(dir, 'pipewright.toml'),
    '--listen', `127.0.0.1:${port}`, '--data-dir', path.join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const listening = new Promise((resolve, reject) => {
    const onData = (d) => {
      log += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (m) resolve(Number(m[1]));
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${log}`)));
    setTimeout(() => reject(new Error('server did not listen within 20 s:\n' + log)), 20000);
  });
  port = await listening;
  for (let i = 0; i < 200; ++i) {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
    if (r && r.ok) return;
    await sleep(25);
  }
  throw new Error('server not ready');
}

async function stopServer() {
  if (!server) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await exited;
  server = null;
}

async function api(method, p, tok, body) {
  const r = await fetch(`http://127.0.0.1:${port}${p}`, {
    method, headers: { Authorization: 'Bearer ' + tok, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await r.json();
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(data)}`);
  return data;
}
const submit = async (text, ws = 'w1') => (await api('POST', '/api/v1/items', USER, { workspace: ws, text })).id;
const statusOf = async (id) => (await api('GET', `/api/v1/items/${id}/processing-status`, ADMIN)).status;

// --- page helpers --------------------------------------------------------------------
async function shot(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
const text = (sel) => page.$eval(sel, (el) => el.textContent);
async function waitFor(fn, what, timeout = 15000, ...args) {
  try {
    await page.waitForFunction(fn, { timeout, polling: 50 }, ...args);
  } catch (e) {
    await shot(`failed-${what.replace(/\W+/g, '-')}.png`);
    throw new Error(`waiting for ${what}: ${e.message}`);
  }
}
const rowOf = (table, key) => `#${table} tbody tr[data-key="${key}"]`;
async function signIn(tok) {
  await page.$eval('#token', (el) => { el.value = ''; });
  await page.type('#token', tok);
  await page.click('#login-button');
}

before(async () => {
  await startServer(configToml(null));
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: path.join(dir, 'chromium-profile'),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('pageerror', (e) => { console.error('page error:', e.message); });
  await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'load' });
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  await stopServer().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

test('a wrong token is refused with a message that says why', async () => {
  assert.equal(await page.title(), 'Pipewright — operations');
  await signIn('not-a-token');
  await waitFor(() => !document.getElementById('login-error').hidden, 'refusal of garbage');
  assert.match(await text('#login-error'), /refused this token/);
  await signIn(USER);
  await waitFor(() => /not an admin token/.test(document.getElementById('login-error').textContent), 'refusal of a user token');
  await signIn(token('ops', 'admin', ['*'], -60));
  await waitFor(() => /refused this token/.test(document.getElementById('login-error').textContent), 'refusal of an expired token');
  assert.equal(await page.$eval('#board', (el) => el.hidden), true, 'the board stays hidden');
  // Nothing of the token is kept anywhere but in memory.
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length + document.cookie.length), 0);
  await shot('login-refused.png');
});

test('an admin signs in and sees the node live', async () => {
  await signIn(ADMIN);
  await waitFor(() => !document.getElementById('board').hidden, 'the board');
  await waitFor(() => document.getElementById('pill-live').textContent === 'live', 'the live socket');
  await waitFor(() => document.getElementById('pill-ready').textContent === 'ready', 'ready');
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
  assert.equal(await page.$eval('#token', (el) => el.value), '', 'the token field is cleared');
  // Stage and actor tables come from the live stats frames.
  // The feedback pipeline's seven stages and the built-in asset pipeline's five (shown as asset/<stage>).
  await waitFor(() => document.querySelectorAll('#stages tbody tr').length === 12, 'twelve stages');
  const keys = await page.$$eval('#stages tbody tr', (rows) => rows.map((r) => r.dataset.key));
  for (const [name] of STAGES) assert.ok(keys.includes(name), name);
  for (const name of ['decode', 'ocr', 'vision', 'extract', 'duplicate']) assert.ok(keys.includes('asset/' + name), 'asset/' + name);
  await waitFor(() => document.querySelectorAll('#actors tbody tr').length === 3, 'three actor kinds (admission, supervisor, worker)');
});

test('a submitted item appears, then completes', async () => {
  const id = await submit('The checkout page times out when I pay with a card');
  await waitFor((sel) => document.querySelector(sel) !== null, 'the item in recent items', 10000, rowOf('recent', id));
  const first = await page.$eval(rowOf('recent', id), (tr) => tr.children[3].textContent);
  assert.match(first, /queued|processing|completed/);
  await waitFor((sel) => document.querySelector(sel)?.children[3].textContent === 'completed', 'the item completed', 10000,
    rowOf('recent', id));
  assert.equal(await statusOf(id), 'completed');
  await shot('item-completed.png');
});

test('the throughput chart moves, and the page changes per second, not per event', async () => {
  const before = await page.$eval('#chart-throughput', (c) => ({ points: Number(c.dataset.points), image: c.toDataURL() }));
  // Count DOM changes while a burst of items runs.
  await page.evaluate(() => {
    window.__mutations = 0;
    window.__observer = new MutationObserver((list) => { window.__mutations += list.length; });
    window.__observer.observe(document.getElementById('board'), { subtree: true, childList: true, characterData: true, attributes: true });
    window.__since = performance.now();
  });
  const ids = [];
  const items = 2000;
  const workers = Array.from({ length: 16 }, async (_, w) => {
    for (let k = w; k < items; k += 16) ids.push(await submit(`burst item ${k}`, k % 2 ? 'w1' : 'w2'));
  });
  await Promise.all(workers);
  await waitFor(() => Number(document.getElementById('chart-throughput').dataset.last) > 0, 'a non-zero throughput');
  for (let i = 0; i < 200; ++i) {
    const q = await api('GET', '/api/v1/admin/queue', ADMIN);
    if (q.queued + q.processing === 0) break;
    await sleep(100);
  }
  const { mutations, seconds } = await page.evaluate(() => {
    window.__observer.disconnect();
    return { mutations: window.__mutations, seconds: (performance.now() - window.__since) / 1000 };
  });
  const after = await page.$eval('#chart-throughput', (c) => ({ points: Number(c.dataset.points), image: c.toDataURL() }));
  assert.ok(after.points > before.points, `chart points ${before.points} -> ${after.points}`);
  assert.notEqual(after.image, before.image, 'the chart was redrawn');
  // The page changes a bounded number of times a second (changed cells and
  // the newest rows, once a second), however many items go by.
  console.log(`# ${items} items, ${mutations} DOM mutation records in ${seconds.toFixed(1)} s`);
  assert.ok(mutations / seconds < 300, `${(mutations / seconds).toFixed(0)} mutations/s`);
  await shot('burst.png');
});

test('a narrow window gets one column and no sideways scrolling', async () => {
  // (Not isMobile: puppeteer reloads the page for it, and a reload signs out.)
  await page.setViewport({ width: 380, height: 800 });
  await sleep(300);
  assert.equal(await page.$eval('#board', (el) => el.hidden), false, 'still signed in');
  const layout = await page.evaluate(() => {
    const cards = [...document.querySelectorAll('#board > .card')].slice(0, 3).map((c) => c.getBoundingClientRect());
    return { scroll: document.documentElement.scrollWidth, width: window.innerWidth, lefts: cards.map((r) => Math.round(r.left)),
      widths: cards.map((r) => Math.round(r.width)) };
  });
  assert.ok(layout.scroll <= layout.width + 1, `page ${layout.scroll} px wide in a ${layout.width} px window`);
  assert.equal(new Set(layout.lefts).size, 1, `cards stacked: lefts ${layout.lefts}`);
  assert.ok(layout.widths.every((w) => w <= layout.width), `cards fit: ${layout.widths}`);
  await shot('narrow.png');
  await page.setViewport({ width: 1280, height: 900 });
});

test('dead letters: requeue one with its button and see it leave; retry a failed item', async () => {
  // The theme stage now fails for good: every new item ends partial with a
  // dead letter. The page reconnects to the restarted node.
  await stopServer();
  await startServer(configToml('permanent_rate = 1.0'));
  await waitFor(() => document.getElementById('pill-live').textContent === 'live', 'the socket back after a restart', 20000);
  const a = await submit('requeue me from the dead letter queue');
  const b = await submit('retry me from the failed items');
  await waitFor((sel) => document.querySelector(sel) !== null, 'a dead letter row', 15000, rowOf('dlq', `${a}:theme`));
  await waitFor((sel) => document.querySelector(sel) !== null, 'a failed item row', 15000, rowOf('failed', b));
  assert.match(await page.$eval(rowOf('dlq', `${a}:theme`), (tr) => tr.textContent), /chaos: injected permanent failure/);
  assert.equal(await statusOf(a), 'partial');
  // The live figures agree with the lists within a frame.
  await waitFor(() => document.querySelector('#queue dd[data-k="dead"]').textContent === '2', 'two dead letters in the queue figures');
  await waitFor(() => document.querySelector('#items dd[data-k="partial"]').textContent === '2', 'two partial items');
  const deadLetters = await shot('dead-letters.png');
  if (process.env.PW_DOCS_SCREENSHOT) copyFileSync(deadLetters, process.env.PW_DOCS_SCREENSHOT);
  // The cause is fixed (the node restarts without the fault); the operator
  // acts from the page, which reconnects by itself.
  await stopServer();
  await startServer(configToml(null));
  await waitFor(() => document.getElementById('pill-live').textContent === 'live', 'the socket back after the fix', 20000);

  await page.click(`${rowOf('dlq', `${a}:theme`)} button`);  // Requeue
  await waitFor((sel) => document.querySelector(sel) === null, 'the dead letter gone', 15000, rowOf('dlq', `${a}:theme`));
  await waitFor(() => /Requeued 1/.test(document.getElementById('toast').textContent), 'the requeue toast');
  for (let i = 0; i < 100 && (await statusOf(a)) !== 'completed'; ++i) await sleep(100);
  assert.equal(await statusOf(a), 'completed');

  await page.click(`${rowOf('failed', b)} button`);  // Retry
  await waitFor((sel) => document.querySelector(sel) === null, 'the failed item gone', 15000, rowOf('failed', b));
  for (let i = 0; i < 100 && (await statusOf(b)) !== 'completed'; ++i) await sleep(100);
  assert.equal(await statusOf(b), 'completed');
  // Its dead letter was settled by the retry too.
  await waitFor((sel) => document.querySelector(sel) === null, 'the retried item\'s dead letter gone', 15000, rowOf('dlq', `${b}:theme`));
  await waitFor((sel) => document.querySelector(sel)?.children[3].textContent === 'completed', 'the retried item completed', 15000,
    rowOf('recent', b));
  await waitFor(() => document.querySelector('#queue dd[data-k="dead"]').textContent === '0', 'no dead letter in the queue figures');
  await shot('dashboard.png');
});

test('signing out forgets the token', async () => {
  await page.click('#logout');
  await waitFor(() => !document.getElementById('login').hidden, 'the sign-in form');
  assert.equal(await page.$eval('#board', (el) => el.hidden), true);
  // A reload starts signed out: nothing was stored.
  await page.reload({ waitUntil: 'load' });
  assert.equal(await page.$eval('#board', (el) => el.hidden), true);
  assert.equal(await page.$eval('#login', (el) => el.hidden), false);
});
