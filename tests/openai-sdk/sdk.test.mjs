// The fake OpenAI-compatible provider (tests/support/fake_openai) driven by
// the official `openai` npm client: if the SDK can use it for chat with
// structured outputs, embeddings (the SDK asks for base64 by default),
// files, batches (create, retrieve until done, list, cancel), errors (401,
// 400, 429 with Retry-After, which the SDK honours when it retries) and TLS,
// then the fake speaks the protocol our http and batch backends are tested
// against. Run by ctest (tests/CMakeLists.txt) with node's test runner.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

const require = createRequire(path.join(process.env.PW_SDK_DIR, 'package.json'));
const OpenAI = require('openai').default ?? require('openai');
const { toFile } = require('openai');
const FAKE = process.env.PW_FAKE_OPENAI;

const dir = mkdtempSync(path.join(tmpdir(), 'pipewright-openai-sdk-'));
let fake = null, httpUrl = '', httpsUrl = '', caFile = '', controlUrl = '';

before(async () => {
  // --max-seconds: the fake stops by itself even if this runner is killed.
  fake = spawn(FAKE, ['--dir', dir, '--max-seconds', '300'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    let out = '';
    fake.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    fake.on('exit', (code) => reject(new Error(`fake_openai exited (${code}) before it listened`)));
  });
  const m = /http=(\d+) https=(\d+) ca=(\S+)/.exec(line);
  assert.ok(m, `unexpected first line from fake_openai: ${line}`);
  httpUrl = `http://127.0.0.1:${m[1]}/v1`;
  httpsUrl = `https://127.0.0.1:${m[2]}/v1`;
  controlUrl = `http://127.0.0.1:${m[1]}`;
  caFile = m[3];
});

after(() => {
  if (fake) fake.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function control(body) {
  const r = await fetch(`${controlUrl}/_control`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(r.status, 200, await r.text());
}
async function stats() {
  return (await fetch(`${controlUrl}/_stats`)).json();
}
const client = (opts = {}) => new OpenAI({ apiKey: 'sk-test-key', baseURL: httpUrl, maxRetries: 0, timeout: 20000, ...opts });

const sentimentSchema = {
  type: 'object',
  properties: { label: { type: 'string', enum: ['positive', 'neutral', 'negative'] }, score: { type: 'number' } },
  required: ['label', 'score'],
  additionalProperties: false,
};

test('chat completions with a JSON schema: the SDK reads the structured answer and its usage', async () => {
  const r = await client().chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'system', content: 'Rate the sentiment.' }, { role: 'user', content: 'The app is terrible and slow' }],
    response_format: { type: 'json_schema', json_schema: { name: 'sentiment', strict: true, schema: sentimentSchema } },
    max_completion_tokens: 100,
  });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0].finish_reason, 'stop');
  const answer = JSON.parse(r.choices[0].message.content);
  assert.equal(answer.label, 'negative');
  assert.ok(answer.score >= -1 && answer.score <= 0);
  assert.ok(r.usage.prompt_tokens > 0 && r.usage.total_tokens === r.usage.prompt_tokens + r.usage.completion_tokens);
});

test('embeddings: base64 (the SDK default, decoded by the SDK) and float agree', async () => {
  const c = client();
  const b64 = await c.embeddings.create({ model: 'text-embedding-3-small', input: 'login fails after the update' });
  const flt = await c.embeddings.create({ model: 'text-embedding-3-small', input: 'login fails after the update', encoding_format: 'float' });
  const a = Array.from(b64.data[0].embedding), b = flt.data[0].embedding;
  assert.equal(a.length, 64);
  assert.equal(b.length, 64);
  const norm = Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(norm - 1) < 1e-5, `norm ${norm}`);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-6));
  assert.ok(b64.usage.prompt_tokens > 0);
  const small = await c.embeddings.create({ model: 'text-embedding-3-small', input: 'x y', dimensions: 8 });
  assert.equal(Array.from(small.data[0].embedding).length, 8);
});

test('files and batches: upload JSONL, create, poll to completed, read the output and error files by custom_id', async () => {
  const c = client();
  await control({ polls_to_finish: 2, batch_outcome: 'completed' });
  const lines = ['great service, thanks', 'it crashed again [[fail400]]', 'how do I export?'].map((text, i) =>
    JSON.stringify({
      custom_id: `req-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: text }],
        response_format: { type: 'json_schema', json_schema: { name: 'sentiment', strict: true, schema: sentimentSchema } },
      },
    }));
  const file = await c.files.create({ file: await toFile(Buffer.from(lines.join('\n') + '\n'), 'input.jsonl'), purpose: 'batch' });
  assert.match(file.id, /^file/);
  assert.equal(file.purpose, 'batch');
  assert.equal(file.bytes, Buffer.byteLength(lines.join('\n') + '\n'));
  assert.equal((await c.files.retrieve(file.id)).id, file.id);

  let batch = await c.batches.create({
    input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { pipewright: 'sdk-test' },
  });
  assert.equal(batch.status, 'validating');
  assert.equal(batch.input_file_id, file.id);
  const seen = [batch.status];
  for (let i = 0; i < 10 && !['completed', 'failed', 'expired', 'cancelled'].includes(batch.status); ++i) {
    batch = await c.batches.retrieve(batch.id);
    seen.push(batch.status);
  }
  assert.equal(batch.status, 'completed', `statuses: ${seen.join(' -> ')}`);
  assert.ok(seen.includes('in_progress'));
  assert.equal(batch.request_counts.total, 3);
  assert.equal(batch.request_counts.completed, 2);
  assert.equal(batch.request_counts.failed, 1);
  assert.ok(batch.output_file_id && batch.error_file_id);

  const parse = async (id) => (await (await c.files.content(id)).text()).trim().split('\n').map((l) => JSON.parse(l));
  const out = await parse(batch.output_file_id);
  assert.deepEqual(out.map((l) => l.custom_id).sort(), ['req-0', 'req-2']);
  for (const l of out) {
    assert.equal(l.response.status_code, 200);
    const content = JSON.parse(l.response.body.choices[0].message.content);
    assert.ok(['positive', 'neutral', 'negative'].includes(content.label));
  }
  const errors = await parse(batch.error_file_id);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].custom_id, 'req-1');
  assert.equal(errors[0].response.status_code, 400);

  // The SDK's auto-paging list finds it.
  const ids = [];
  for await (const b of c.batches.list({ limit: 2 })) ids.push(b.id);
  assert.ok(ids.includes(batch.id));
});

test('a batch cancelled through the SDK ends cancelled', async () => {
  const c = client();
  await control({ polls_to_finish: 3 });
  const line = JSON.stringify({ custom_id: 'c-1', method: 'POST', url: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: 'hi' } });
  const file = await c.files.create({ file: await toFile(Buffer.from(line + '\n'), 'one.jsonl'), purpose: 'batch' });
  let batch = await c.batches.create({ input_file_id: file.id, endpoint: '/v1/embeddings', completion_window: '24h' });
  batch = await c.batches.cancel(batch.id);
  assert.equal(batch.status, 'cancelling');
  for (let i = 0; i < 10 && batch.status !== 'cancelled'; ++i) batch = await c.batches.retrieve(batch.id);
  assert.equal(batch.status, 'cancelled');
});

test('errors as the SDK classifies them: 400, 401, 404, and a 429 whose Retry-After the SDK waits out', async () => {
  const c = client();
  await assert.rejects(
    c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x [[fail400]]' }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && /fail marker/.test(e.message));
  await assert.rejects(c.batches.retrieve('batch_nope'), (e) => e instanceof OpenAI.NotFoundError);

  await control({ require_key: 'sk-right' });
  try {
    await assert.rejects(c.embeddings.create({ model: 'm', input: 'x' }), (e) => e instanceof OpenAI.AuthenticationError);
    const ok = await client({ apiKey: 'sk-right' }).embeddings.create({ model: 'm', input: 'x', encoding_format: 'float' });
    assert.equal(ok.data.length, 1);
  } finally {
    await control({ require_key: '' });
  }

  await control({ storm_ms: 1500, storm_retry_after_s: 1 });
  await assert.rejects(c.embeddings.create({ model: 'm', input: 'x' }),
    (e) => e instanceof OpenAI.RateLimitError && e.headers.get('retry-after') === '1');
  // With retries the SDK waits as told and gets through once the storm is over.
  const started = Date.now();
  const before429 = (await stats()).rate_limited_times_ms.length;
  const r = await client({ maxRetries: 5 }).embeddings.create({ model: 'm', input: 'x', encoding_format: 'float' });
  assert.equal(r.data.length, 1);
  const limited = (await stats()).rate_limited_times_ms.slice(before429);
  assert.ok(limited.length >= 1 && limited.length <= 3, `429s while retrying: ${limited.length}`);
  for (let i = 1; i < limited.length; ++i) assert.ok(limited[i] - limited[i - 1] >= 900, 'the SDK waited the Retry-After');
  assert.ok(Date.now() - started >= 500);
});

test('TLS: the SDK trusts the fake through NODE_EXTRA_CA_CERTS, and refuses it without', () => {
  const script = `
    const OpenAI = require('openai').default ?? require('openai');
    const c = new OpenAI({ apiKey: 'k', baseURL: process.argv[1], maxRetries: 0, timeout: 10000 });
    c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'I love it' }],
      response_format: { type: 'json_schema', json_schema: { name: 'sentiment', strict: true, schema: {} } } })
      .then((r) => { console.log(JSON.parse(r.choices[0].message.content).label); })
      .catch((e) => { console.log('ERROR ' + e.constructor.name + ' ' + (e.cause ? e.cause.code || e.cause.message : e.message)); });`;
  const run = (env) => spawnSync(process.execPath, ['-e', script, httpsUrl], {
    cwd: process.env.PW_SDK_DIR, env: { ...process.env, NODE_PATH: path.join(process.env.PW_SDK_DIR, 'node_modules'), ...env },
    encoding: 'utf8', timeout: 30000,
  });
  const trusted = run({ NODE_EXTRA_CA_CERTS: caFile });
  assert.equal(trusted.stdout.trim(), 'positive', trusted.stderr);
  const untrusted = run({ NODE_EXTRA_CA_CERTS: '' });
  assert.match(untrusted.stdout, /^ERROR APIConnectionError/, untrusted.stderr);
});
