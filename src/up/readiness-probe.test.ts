import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { INITIAL_PROBE_STATE, nextProbeState, probeTiming, runReadinessProbe } from './readiness-probe.js';

test("probeTiming: Kubernetes' defaults (period 10 s, timeout 1 s, success 1, failure 3)", () => {
  assert.deepEqual(probeTiming({}), { initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1000, successThreshold: 1, failureThreshold: 3 });
  assert.equal(probeTiming({ periodSeconds: 0 }).periodMs, 1000);
});

test('nextProbeState: ready after successThreshold successes in a row, not ready after failureThreshold failures in a row', () => {
  const t = probeTiming({ successThreshold: 2, failureThreshold: 2 });
  let s = nextProbeState(INITIAL_PROBE_STATE, true, t);
  assert.equal(s.ready, false);
  s = nextProbeState(s, true, t);
  assert.equal(s.ready, true);
  s = nextProbeState(s, false, t);
  assert.equal(s.ready, true, 'one failure is tolerated');
  s = nextProbeState(s, true, t);
  s = nextProbeState(s, false, t);
  assert.equal(s.ready, true, 'failures must be consecutive');
  s = nextProbeState(s, false, t);
  assert.equal(s.ready, false);
  s = nextProbeState(s, true, t);
  assert.equal(s.ready, false, 'success threshold again');
});

test('runReadinessProbe: an httpGet probe follows the app (200 ready, 503 not ready)', async () => {
  let status = 503;
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/ready' ? status : 404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const changes: boolean[] = [];
  const abort = new AbortController();
  const done = runReadinessProbe({ httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
    { host: '127.0.0.1', namedPorts: { http: port }, cwd: '/', env: {} }, (ready) => changes.push(ready), abort.signal);
  const until = async (n: number) => {
    for (let i = 0; i < 100 && changes.length < n; i++) await new Promise((r) => setTimeout(r, 50));
  };
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(changes, [], 'not ready while the app answers 503');
  status = 200;
  await until(1);
  assert.deepEqual(changes, [true]);
  status = 500;
  await until(2);
  assert.deepEqual(changes, [true, false]);
  abort.abort();
  await done;
  server.close();
});
