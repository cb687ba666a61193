/**
 * The tcp-echo sample (v1 "one", v2 "two", each on two ports) and the sleep client workload as real
 * processes on loopback.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ensureSamplesBuilt, startSample, stopAllSamples } from './sample-process.js';

/** Sends `text`, half-closes, and resolves with everything the server sent back. */
function exchange(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host, () => socket.end(text));
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (out += d));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(30_000, () => socket.destroy(new Error('no answer within 30 s')));
  });
}

describe('tcp-echo', () => {
  before(() => ensureSamplesBuilt());
  after(() => stopAllSamples());

  test('v1 prefixes each line with "one" on every port, v2 with "two"', async () => {
    const v1 = await startSample('tcp-echo/main.js', { args: ['0,0', 'one'], listeners: 2 });
    const v2 = await startSample('tcp-echo/main.js', { args: ['0', 'two'] });
    assert.equal(v1.ports.length, 2);
    for (const port of v1.ports) assert.equal(await exchange(v1.host, port, 'hello\nworld\n'), 'one hello\none world\n');
    assert.equal(await exchange(v2.host, v2.ports[0]!, 'hello\n'), 'two hello\n');
    assert.equal(await exchange(v2.host, v2.ports[0]!, 'no newline'), 'two no newline', 'a last partial line is echoed');
    assert.match(v1.output(), /listening on 127\.0\.0\.1:\d+, prefix: one/);
    assert.deepEqual(await v1.stop(), { code: 0, signal: null });
    assert.deepEqual(await v2.stop(), { code: 0, signal: null });
  });

  test('SIGTERM with a client connected still exits 0', async () => {
    const v1 = await startSample('tcp-echo/main.js', { args: ['0', 'one'] });
    const socket = net.connect(v1.ports[0]!, v1.host);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.on('error', () => undefined);
    socket.on('end', () => socket.end());
    assert.deepEqual(await v1.stop(), { code: 0, signal: null });
    socket.destroy();
  });

  test('a bad port argument fails with exit status 1', async () => {
    // PORT (set by the helper) replaces the first port, so the bad one is second.
    await assert.rejects(startSample('tcp-echo/main.js', { args: ['0,99999', 'one'] }), /exited before/);
  });
});

describe('sleep', () => {
  before(() => ensureSamplesBuilt());
  after(() => stopAllSamples());

  test('stays alive until SIGTERM, then exits 0', async () => {
    const sleep = await startSample('sleep/main.js', { env: { POD_NAME: 'sleep-0' }, ready: /sleep: pod sleep-0 ready/ });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sleep.child.exitCode, null, 'still running');
    assert.deepEqual(await sleep.stop('SIGTERM'), { code: 0, signal: null });
  });
});
