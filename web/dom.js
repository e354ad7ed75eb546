// Pipewright dashboard: DOM and formatting helpers (no library). Text and
// classes are set only when they change, and table rows are keyed and built
// once, so a refresh touches only what changed.
'use strict';

window.pw = window.pw || {};
(() => {
  const HISTORY = 150;  // points kept per chart series (one a second)
  // --- helpers ---------------------------------------------------------------
  function setText(el, text) {
    const s = String(text);
    if (el.textContent !== s) el.textContent = s;
  }
  function setClass(el, cls) {
    if (el.className !== cls) el.className = cls;
  }
  function fmtMs(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    if (v >= 100) return Math.round(v).toString();
    if (v >= 10) return v.toFixed(1);
    return v.toFixed(2);
  }
  function fmtBytes(n) {
    if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1) + ' GiB';
    if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + ' MiB';
    if (n >= 1 << 10) return (n / (1 << 10)).toFixed(0) + ' KiB';
    return n + ' B';
  }
  function fmtTime(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString();
  }
  function fmtAge(s) {
    if (s < 1) return (s * 1000).toFixed(0) + ' ms';
    if (s < 120) return s.toFixed(1) + ' s';
    return (s / 60).toFixed(1) + ' min';
  }
  function push(arr, v) {
    arr.push(v);
    if (arr.length > HISTORY) arr.shift();
  }
  function statsList(dl, entries) {
    // entries: [key, label, value]; the dt/dd pairs are built once.
    for (const [key, label, value] of entries) {
      let dd = dl.querySelector('dd[data-k="' + key + '"]');
      if (!dd) {
        const div = document.createElement('div');
        const dt = document.createElement('dt');
        dt.textContent = label;
        dd = document.createElement('dd');
        dd.dataset.k = key;
        div.append(dt, dd);
        dl.append(div);
      }
      setText(dd, value);
    }
  }

  // Keyed rows: a row is built once per key (filled before it is inserted)
  // and its cells are updated in place only when their text changes.
  function syncRows(tbody, rows, keyOf, cells, fill, build) {
    const existing = new Map();
    for (const tr of tbody.children) existing.set(tr.dataset.key, tr);
    let i = 0;
    for (const row of rows) {
      const key = keyOf(row);
      let tr = existing.get(key);
      if (tr) existing.delete(key);
      else {
        tr = document.createElement('tr');
        tr.dataset.key = key;
        for (let c = 0; c < cells; ++c) tr.append(document.createElement('td'));
        if (build) build(tr, row);
      }
      fill(tr.children, row);
      if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null);
      ++i;
    }
    for (const tr of existing.values()) tr.remove();
  }

  const fillCells = (tds, values) => values.forEach((v, c) => setText(tds[c], v));

  Object.assign(window.pw, { HISTORY, setText, setClass, fmtMs, fmtBytes, fmtTime, fmtAge, push, statsList, syncRows, fillCells });
})();
