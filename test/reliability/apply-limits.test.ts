/**
 * End to end, issue 11: an apply beyond the documented bounds (8 MiB, 5,000 resources;
 * src/control/apply-limits.ts) is refused up front with 413 and a message naming the limit, through
 * the CLI and on the raw API, and changes nothing; an apply of exactly 5,000 resources is accepted.
 * Ports 19210–19219.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startWeft, runWeft, apiAuthHeaders, type WeftProcess } from '../helpers/weft-process.js';

const API_PORT = 19211;
const SERVER = `http://127.0.0.1:${API_PORT}`;

const sa = (name: string) => `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${name}, namespace: default}\n`;

let dir = '';
let state = '';
let control: WeftProcess | undefined;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'weft-apply-limits-'));
  state = path.join(dir, 'state');
  await mkdir(path.join(dir, 'config'));
  control = startWeft(['control', '--config', path.join(dir, 'config'), '--state', state, '--xds-port', '-1', '--http-port', String(API_PORT), '--debounce', '20']);
  await control.waitFor(/API on http:\/\/127\.0\.0\.1:\d+/, 30_000);
});

after(async () => {
  await control?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function serviceAccounts(): Promise<number> {
  const r = await runWeft(['get', 'serviceaccounts', '-A', '-o', 'json', '--server', SERVER, '--state', state]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { items: unknown[] }).items.length;
}

test('weft apply of 5,001 resources is refused by the control plane (413) naming the limit; nothing is applied', { timeout: 60_000 }, async () => {
  const file = path.join(dir, 'many.yaml');
  await writeFile(file, Array.from({ length: 5001 }, (_, i) => sa(`sa-${i}`)).join('---\n'));
  const r = await runWeft(['apply', '-f', file, '--server', SERVER, '--state', state], { timeoutMs: 60_000 });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /APPLY_TOO_MANY_RESOURCES/);
  assert.match(r.stderr, /at least 5001 resources, over the limit of 5000 per apply; nothing was changed/);
  assert.equal(r.stdout, '');
  assert.equal(await serviceAccounts(), 0);
});

test('weft apply of a file over 8 MiB is refused naming the limit; nothing is sent or applied', { timeout: 60_000 }, async () => {
  const file = path.join(dir, 'big.yaml');
  // Three small documents padded with comments: the size, not the count, is over.
  const pad = `# ${'x'.repeat(1000)}\n`.repeat(3000);
  await writeFile(file, [sa('big-1'), sa('big-2'), sa('big-3')].map((d) => pad + d).join('---\n'));
  const r = await runWeft(['apply', '-f', file, '--server', SERVER, '--state', state]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /APPLY_TOO_LARGE/);
  assert.match(r.stderr, /the apply is 8\.\d MiB, over the limit of 8 MiB per apply/);
  assert.equal(await serviceAccounts(), 0);
});

test('the API answers 413 to a declared 9 MiB body before any of it is sent, and to an undeclared (chunked) one past 8 MiB', { timeout: 60_000 }, async () => {
  // Headers only: the answer must come without the body.
  const answer = await new Promise<string>((resolve, reject) => {
    const sock = net.connect(API_PORT, '127.0.0.1', () => {
      sock.write(
        `POST /api/v1/apply HTTP/1.1\r\nHost: 127.0.0.1:${API_PORT}\r\nAuthorization: ${apiAuthHeaders(state).authorization}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${9 * 1024 * 1024}\r\n\r\n`,
      );
    });
    let text = '';
    sock.on('data', (d) => {
      text += d;
      if (text.includes('}')) {
        sock.destroy();
        resolve(text);
      }
    });
    sock.on('error', reject);
    setTimeout(() => reject(new Error(`no answer before the body: ${text}`)), 10_000);
  });
  assert.match(answer, /^HTTP\/1\.1 413 /);
  assert.match(answer, /"error": "APPLY_TOO_LARGE"/);
  assert.match(answer, /9 MiB, over the limit of 8 MiB per apply/);

  // Chunked, no length: refused once 8 MiB have been read.
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request(`${SERVER}/api/v1/apply`, { method: 'POST', headers: { ...apiAuthHeaders(state), 'content-type': 'application/json' }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e) => reject(e));
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < 12 && req.write(chunk)) sent++;
      if (sent < 12) req.once('drain', () => { sent++; pump(); });
      else req.end();
    };
    pump();
  }).catch((e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 413 : Promise.reject(e)));
  assert.equal(status, 413);
  assert.equal(await serviceAccounts(), 0);
});

test('an apply of exactly 5,000 resources is accepted and committed', { timeout: 90_000 }, async () => {
  const file = path.join(dir, 'max.yaml');
  await writeFile(file, Array.from({ length: 5000 }, (_, i) => sa(`ok-${i}`)).join('---\n'));
  const started = performance.now();
  const r = await runWeft(['apply', '-f', file, '--apply-id', 'limits-max-1', '--server', SERVER, '--state', state], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /apply limits-max-1 committed/);
  process.stderr.write(`apply-limits: 5,000 ServiceAccounts applied in ${((performance.now() - started) / 1000).toFixed(1)} s (CLI included)\n`);
  assert.equal(await serviceAccounts(), 5000);
  const s = await runWeft(['apply', '--status', 'limits-max-1', '--server', SERVER, '--state', state]);
  assert.equal(s.code, 0);
  assert.match(s.stdout, /^apply limits-max-1 committed: apply of 5000 resource\(s\)/);
});
