// Pipewright dashboard: line charts on a canvas (drawing is not a DOM
// change). Colours are the style sheet's custom properties.
'use strict';

window.pw = window.pw || {};
(() => {
  const { HISTORY } = window.pw;  // web/dom.js loads first
  // --- charts (canvas; drawing is not a DOM change) ----------------------------
  function drawChart(canvas, lines) {
    const css = getComputedStyle(document.documentElement);
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(50, canvas.clientWidth), h = Math.max(50, canvas.clientHeight);
    if (canvas.width !== Math.round(w * dpr)) canvas.width = Math.round(w * dpr);
    if (canvas.height !== Math.round(h * dpr)) canvas.height = Math.round(h * dpr);
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    let max = 0;
    for (const l of lines) for (const v of l.values) if (v !== null && v > max) max = v;
    max = max > 0 ? max * 1.15 : 1;
    const left = 44, bottom = h - 14, top = 6;
    g.font = '10px system-ui, sans-serif';
    g.fillStyle = '#667085';
    g.strokeStyle = '#e3e6ea';
    g.lineWidth = 1;
    for (let k = 0; k <= 3; ++k) {
      const y = bottom - ((bottom - top) * k) / 3;
      g.beginPath();
      g.moveTo(left, y);
      g.lineTo(w, y);
      g.stroke();
      const v = (max * k) / 3;
      g.fillText(v >= 100 ? v.toFixed(0) : v.toFixed(1), 2, y + 3);
    }
    g.fillText('-' + HISTORY + ' s', left, h - 2);
    g.fillText('now', w - 20, h - 2);
    const step = (w - left) / (HISTORY - 1);
    let points = 0, last = 0;
    for (const l of lines) {
      g.strokeStyle = css.getPropertyValue(l.color).trim() || '#333';
      g.lineWidth = 1.8;
      g.beginPath();
      let pen = false;
      const off = HISTORY - l.values.length;
      l.values.forEach((v, i) => {
        if (v === null) { pen = false; return; }
        const x = left + (off + i) * step, y = bottom - ((bottom - top) * v) / max;
        if (pen) g.lineTo(x, y);
        else g.moveTo(x, y);
        pen = true;
      });
      g.stroke();
      points = Math.max(points, l.values.length);
    }
    for (const l of lines) if (l.values.length && l.values[l.values.length - 1] !== null) last += l.values[l.values.length - 1];
    // For tests and curious operators: how many points, and the newest sum.
    canvas.dataset.points = String(points);
    canvas.dataset.last = last.toFixed(2);
  }

  Object.assign(window.pw, { drawChart });
})();
