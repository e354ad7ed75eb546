// Is the dashboard still responsive while the node runs 2,000 items/s?
// Starts a node (bench/config/synthetic.toml) on 127.0.0.1, opens the
// dashboard in Debian's headless Chromium (puppeteer-core from the browser
// tests' install), signs in, drives pw-loadgen at --rate items/s, and
// measures inside the page: main-thread long tasks (> 50 ms), the longest
// gap between animation frames, DOM changes per second, and the chart's
// points (one per stats frame). Prints one JSON report.
//   node bench/dashboard-load.mjs          (RATE=2000 N=30000; after a build and ctest -R browser_npm_ci)
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(path.join(root, 'build/tests/browser/package.json'));
const puppeteer = require('puppeteer-core');
const RATE = Number(process.env.RATE || 2000), N = Number(process.env.N || 30000);
const SECRET = 'pipewright-bench-secret';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const b64url = (s) => Buffer.from(s).toString('base64url');
const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
const body = b64url(JSON.stringify({ sub: 'bench-admin', role: 'admin', workspaces: '*', exp: Math.floor(Date.now() / 1000) + 3600 }));
const ADMIN = `${head}.${body}.${createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url')}`;

const dir = mkdtempSync(path.join(tmpdir(), 'pw-dashboard-load-'));
const server = spawn('timeout', ['600', path.join(root, 'build/src/pipewright'), 'serve', '--config',
  path.join(root, 'bench/config/synthetic.toml'), '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data')],
{ stdio: ['ignore', 'pipe', 'pipe'] });
let log = '';
const port = await new Promise((resolve, reject) => {
  const on = (d) => { log += d; const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log); if (m) resolve(Number(m[1])); };
  server.stderr.on('data', on);
  server.stdout.on('data', on);
  setTimeout(() => reject(new Error('no listen line: ' + log)), 20000);
});
let browser;
try {
  await sleep(500);
  browser = await puppeteer.launch({
    executablePath: path.join(root, 'tests/browser/chromium-bounded.sh'), headless: true,
    userDataDir: path.join(dir, 'profile'),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.type('#token', ADMIN);
  await page.click('#login-button');
  await page.waitForFunction(() => document.getElementById('pill-live').textContent === 'live', { timeout: 15000 });
  await page.evaluate(() => {
    const m = { longTasks: 0, longTaskMs: 0, maxFrameGapMs: 0, mutations: 0, points: 0, t0: performance.now() };
    window.__m = m;
    new PerformanceObserver((list) => { for (const e of list.getEntries()) { m.longTasks++; m.longTaskMs += e.duration; } })
      .observe({ type: 'longtask', buffered: false });
    new MutationObserver((l) => { m.mutations += l.length; })
      .observe(document.getElementById('board'), { subtree: true, childList: true, characterData: true, attributes: true });
    let last = performance.now();
    const frame = (t) => { m.maxFrameGapMs = Math.max(m.maxFrameGapMs, t - last); last = t; requestAnimationFrame(frame); };
    requestAnimationFrame(frame);
    setInterval(() => { m.points = Number(document.getElementById('chart-throughput').dataset.points || 0); }, 500);
  });
  const loadgen = spawn(path.join(root, 'build/bench/loadgen/pw-loadgen'), ['--base', `http://127.0.0.1:${port}`,
    '--secret', SECRET, '--n', String(N), '--warmup', '1000', '--rate', String(RATE), '--c', '64', '--users', '100',
    '--timeout', '300'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  loadgen.stdout.on('data', (d) => { out += d; });
  await new Promise((r) => loadgen.on('exit', r));
  const report = JSON.parse(out);
  const m = await page.evaluate(() => ({ ...window.__m, seconds: (performance.now() - window.__m.t0) / 1000 }));
  const rateShown = await page.$eval('#rate', (e) => e.textContent);
  console.log(JSON.stringify({
    offered_items_per_s: RATE, completed_per_s_steady: report.completed_per_s_steady_p10_p90, e2e_ms: report.e2e_ms,
    page: { seconds: +m.seconds.toFixed(1), long_tasks: m.longTasks, long_task_ms: Math.round(m.longTaskMs),
      max_frame_gap_ms: Math.round(m.maxFrameGapMs), dom_mutations_per_s: +(m.mutations / m.seconds).toFixed(1),
      chart_points: m.points, rate_shown_at_end: rateShown },
    loadgen_ok: report.ok,
  }));
} finally {
  if (browser) await browser.close().catch(() => {});
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
