import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { lifecycleHandler, runHandler, type HandlerContext } from './container-handler.js';

const CTX: HandlerContext = { host: '127.0.0.1', namedPorts: {}, cwd: '/', env: { PATH: process.env.PATH } };

test('runHandler exec: exit 0 passes, non-zero fails, a command past its timeout fails', async () => {
  assert.equal(await runHandler({ exec: { command: ['sh', '-c', 'exit 0'] } }, CTX, 5000), true);
  assert.equal(await runHandler({ exec: { command: ['sh', '-c', 'exit 3'] } }, CTX, 5000), false);
  assert.equal(await runHandler({ exec: { command: ['sleep', '5'] } }, CTX, 200), false);
  assert.equal(await runHandler({ exec: { command: ['/no/such/command'] } }, CTX, 1000), false);
});

test('runHandler tcpSocket: an open port passes, a closed one fails; named ports resolve', async () => {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  assert.equal(await runHandler({ tcpSocket: { port: 'web' } }, { ...CTX, namedPorts: { web: port } }, 1000), true);
  await new Promise((r) => server.close(r));
  assert.equal(await runHandler({ tcpSocket: { port } }, CTX, 1000), false);
  assert.equal(await runHandler({ tcpSocket: { port: 'unknown' } }, CTX, 1000), false);
});

test('lifecycleHandler: reads preStop from an unvalidated lifecycle field, ignores junk', () => {
  assert.deepEqual(lifecycleHandler({ preStop: { exec: { command: ['x'] } } }, 'preStop'), { exec: { command: ['x'] } });
  assert.equal(lifecycleHandler({ preStop: { bogus: 1 } }, 'preStop'), undefined);
  assert.equal(lifecycleHandler('nope', 'preStop'), undefined);
  assert.equal(lifecycleHandler(undefined, 'preStop'), undefined);
});
