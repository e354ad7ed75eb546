// Socket.IO v4 with the stock client: socket.io-client 4.x from npm (and a
// plain WebSocket from `ws` beside it) against a real node on 127.0.0.1
// with a real store, a real JWT and a fake analysis worker on loopback
// (tests/support/fake_worker.cpp). Run by ctest (tests/CMakeLists.txt) with
// node's test runner after the npm ci fixture (tests/support/npm_fixture.sh).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

const require = createRequire(path.join(process.env.PW_SIO_DIR, 'package.json'));
const { io } = require('socket.io-client');
const WebSocket = require('ws');

const BINARY = process.env.PW_BINARY;
const FAKE_WORKER = process.env.PW_FAKE_WORKER;
const IMAGES = path.join(process.env.PW_TEST_DATA_DIR, 'images');
const SECRET = 'pipewright-sio-test-secret-0123456789';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- tokens, signed here (not by the server's code) -----------------------
const b64url = (s) => Buffer.from(s).toString('base64url');
function token(sub, role = 'user', workspaces = ['w1'], ttl = 3600, secret = SECRET) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ sub, role, workspaces, exp: Math.floor(Date.now() / 1000) + ttl }));
  const sig = createHmac('sha256', secret).update(head + '.' + body).digest('base64url');
  return head + '.' + body + '.' + sig;
}
const ANN = token('ann');
const BEN = token('ben');

// --- the fake worker and the node ------------------------------------------
const dir = mkdtempSync(path.join(tmpdir(), 'pipewright-sio-'));
let worker = null, server = null, port = 0;

async function startWorker() {
  const portFile = path.join(dir, 'worker.port');
  worker = spawn(FAKE_WORKER, ['--port-file', portFile, '--lifetime', '600', '--labels', IMAGES], { stdio: 'ignore' });
  for (let i = 0; i < 500; ++i) {
    if (existsSync(portFile)) return Number(readFileSync(portFile, 'utf8'));
    await sleep(20);
  }
  throw new Error('the fake worker did not listen');
}

function configToml(workerPort) {
  let out = `[auth]\njwt_secret = "${SECRET}"\n[limits]\nsubmit_rate_per_user = 0\n`;
  out += '[supervision]\nmax_attempts = 3\ninitial_backoff_ms = 20\nmax_backoff_ms = 100\ntimeout_ms = 5000\n';
  for (const [name, deps] of [['embed', []], ['classify', ['embed']], ['sentiment', ['embed']], ['urgency', ['embed']],
    ['duplicate', ['embed']], ['theme', ['embed']], ['priority', ['sentiment', 'urgency', 'classify', 'duplicate']]])
    out += `[pipelines.feedback.stages.${name}]\nbackend = "synthetic"\nafter = ${JSON.stringify(deps)}\n`;
  // The asset pipeline with the analysis left to the worker (no OCR: fast).
  out += '[pipelines.asset.stages.decode]\nbackend = "image"\nafter = []\n';
  out += '[pipelines.asset.stages.vision]\nbackend = "worker"\nafter = ["decode"]\n';
  out += `[pipelines.asset.stages.vision.options]\nurl = "http://127.0.0.1:${workerPort}/analyze"\ntimeout_ms = 2000\n`;
  out += '[pipelines.asset.stages.extract]\nbackend = "image"\nafter = ["vision"]\n';
  out += '[pipelines.asset.stages.duplicate]\nbackend = "image"\nafter = ["extract"]\n';
  return out;
}

async function startServer(toml) {
  writeFileSync(path.join(dir, 'pipewright.toml'), toml);
  // `timeout`: the node stops by itself even if this runner is killed.
  server = spawn('timeout', ['--kill-after=5', '600', BINARY, 'serve', '--config', path.join(dir, 'pipewright.toml'),
    '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  port = await new Promise((resolve, reject) => {
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
  for (let i = 0; i < 200; ++i) {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
    if (r && r.ok) return;
    await sleep(25);
  }
  throw new Error('server not ready');
}

before(async () => {
  const workerPort = await startWorker();
  await startServer(configToml(workerPort));
});

after(async () => {
  if (server) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  if (worker) worker.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// --- clients --------------------------------------------------------------------
const EVENTS = ['asset_processed', 'item.completed', 'item.failed', 'item.updated', 'stage.updated', 'replay.truncated'];

// A Socket.IO client that records every event it gets, by name.
function device(tok, opts = {}) {
  const socket = io(`http://127.0.0.1:${port}`, { auth: { token: tok, ...(opts.auth || {}) }, reconnectionDelay: 100,
    reconnectionDelayMax: 500, ...opts.io });
  const got = [];
  for (const name of EVENTS) socket.on(name, (frame) => got.push({ name, frame }));
  return { socket, got };
}

function connected(socket) {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
}

// A plain WebSocket of /api/v1/ws that records its frames.
async function plain(tok) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws?token=${tok}`);
  const got = [];
  ws.on('message', (data) => got.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, got };
}

async function until(what, fn, timeout = 20000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (fn()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function upload(tok, file, category) {
  const form = new FormData();
  form.append('category', category);
  form.append('image', new Blob([readFileSync(path.join(IMAGES, file))], { type: 'image/jpeg' }), path.basename(file));
  const r = await fetch(`http://127.0.0.1:${port}/api/v1/assets`, { method: 'POST', headers: { Authorization: 'Bearer ' + tok },
    body: form });
  const body = await r.json();
  assert.equal(r.status, 201, JSON.stringify(body));
  return body.assetId;
}

async function submit(tok, text) {
  const r = await fetch(`http://127.0.0.1:${port}/api/v1/items`, { method: 'POST',
    headers: { Authorization: 'Bearer ' + tok, 'Content-Type': 'application/json' }, body: JSON.stringify({ workspace: 'w1', text }) });
  const body = await r.json();
  assert.equal(r.status, 201, JSON.stringify(body));
  return body.id;
}

const named = (got, name, key, id) => got.filter((e) => e.name === name && e.frame[key] === id);
const seqs = (frames) => frames.map((f) => f.seq);

// --- the tests -------------------------------------------------------------------
test('connects with a JWT in auth; a bad, expired or missing token gets connect_error with the reason', async () => {
  const ok = device(ANN);
  await connected(ok.socket);
  assert.ok(ok.socket.id, 'a socket id');
  ok.socket.disconnect();

  const refused = async (auth) => {
    const s = io(`http://127.0.0.1:${port}`, { auth, reconnection: false });
    try {
      return await new Promise((resolve, reject) => {
        s.once('connect', () => reject(new Error('connected with ' + JSON.stringify(auth))));
        s.once('connect_error', resolve);
      });
    } finally {
      s.close();
    }
  };
  const forged = await refused({ token: token('ann', 'user', ['w1'], 3600, 'another-secret-0123456789abcdef') });
  assert.match(forged.message, /signature|token/i);
  const expired = await refused({ token: token('ann', 'user', ['w1'], -60) });
  assert.match(expired.message, /expired/i);
  const none = await refused({});
  assert.match(none.message, /no token/);
  assert.equal(none.data.code, 'UNAUTHORIZED');
});

test('two devices of one user get each event once, a plain WebSocket of the same user too, another user none', async () => {
  const phone = device(ANN);
  const laptop = device(ANN, { io: { transports: ['websocket'] } });  // straight to WebSocket, no polling first
  const other = device(BEN);
  await Promise.all([connected(phone.socket), connected(laptop.socket), connected(other.socket)]);
  const raw = await plain(ANN);

  const asset = await upload(ANN, 'sneaker/01-hoka-mach-5-clean.jpg', 'sneaker');
  const item = await submit(ANN, 'the strap broke after a week');
  for (const d of [phone, laptop])
    await until('both events on a device', () => named(d.got, 'asset_processed', 'assetId', asset).length === 1 &&
      named(d.got, 'item.completed', 'item_id', item).length === 1);
  await until('both events on the plain socket', () =>
    raw.got.some((f) => f.type === 'asset_processed' && f.assetId === asset) &&
    raw.got.some((f) => f.type === 'item.completed' && f.item_id === item));
  await sleep(500);  // anything twice or misdirected would have arrived by now

  const processed = named(phone.got, 'asset_processed', 'assetId', asset)[0].frame;
  assert.equal(processed.status, 'active');
  assert.equal(processed.metadata.brand, 'Hoka');
  // The same frames, each once, in the same order, on every socket of the user.
  const phoneSeqs = seqs(phone.got.map((e) => e.frame));
  assert.equal(new Set(phoneSeqs).size, phoneSeqs.length, 'no event twice on the phone');
  assert.deepEqual(seqs(laptop.got.map((e) => e.frame)), phoneSeqs);
  assert.deepEqual(seqs(raw.got.filter((f) => f.seq !== undefined)), phoneSeqs);
  assert.deepEqual(phone.got.map((e) => e.name), raw.got.filter((f) => f.seq !== undefined).map((f) => f.type));
  assert.equal(raw.got.filter((f) => f.type === 'asset_processed').length, 1);
  assert.deepEqual(other.got, [], "another user's socket heard nothing");

  for (const d of [phone, laptop, other]) d.socket.disconnect();
  raw.ws.close();
});

test('reconnect: a dropped connection comes back by itself, and auth {since} replays what was missed', async () => {
  let last = 0;
  // auth as a function: every (re)connection tells the node the last seq seen.
  const socket = io(`http://127.0.0.1:${port}`, { auth: (cb) => cb({ token: ANN, since: last }), reconnectionDelay: 100,
    reconnectionDelayMax: 300 });
  const got = [];
  socket.on('item.completed', (f) => {
    got.push(f);
    last = Math.max(last, f.seq);
  });
  for (const name of ['stage.updated', 'item.updated', 'asset_processed']) socket.on(name, (f) => { last = Math.max(last, f.seq); });
  await connected(socket);

  // The transport drops (as when a phone changes networks): the client reconnects on its own.
  let reconnects = 0;
  socket.io.on('reconnect', () => ++reconnects);
  const before = await submit(ANN, 'first, before the drop');
  await until('the first item', () => got.some((f) => f.item_id === before));
  socket.io.engine.close();
  await until('the client reconnected', () => reconnects === 1 && socket.connected);

  // Away for a while: what happened meanwhile comes back on reconnection, once.
  socket.disconnect();
  const missed = await submit(ANN, 'second, while the phone was away');
  await sleep(1500);  // it completes while nobody of ann's listens
  socket.connect();
  await until('the missed item, replayed', () => got.some((f) => f.item_id === missed));
  const live = await submit(ANN, 'third, live again');
  await until('the live item', () => got.some((f) => f.item_id === live));
  await sleep(300);
  for (const id of [before, missed, live]) assert.equal(got.filter((f) => f.item_id === id).length, 1, `${id} once`);
  socket.disconnect();
});

test('HTTP long-polling alone (no WebSocket) connects and gets events', async () => {
  const d = device(ANN, { io: { transports: ['polling'] } });
  await connected(d.socket);
  assert.equal(d.socket.io.engine.transport.name, 'polling');
  const item = await submit(ANN, 'over long-polling');
  await until('the event over polling', () => named(d.got, 'item.completed', 'item_id', item).length === 1);
  d.socket.disconnect();
});
