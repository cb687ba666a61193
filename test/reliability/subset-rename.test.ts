/**
 * Issue 11, Deliver 5 ("warming"), end to end: 200 rps through the gateway of a real `weft up`
 * mesh while a DestinationRule and a VirtualService rename both subsets of a service together
 * (one `weft apply` of both, every 2 s, 6 times). Every rename removes two clusters and adds two
 * new EDS clusters whose endpoints arrive only after the proxy asks for them (CDS → EDS request →
 * EDS), while the new routes come in the same push; Envoy warms a new cluster before the routes
 * that use it take effect, and Weft keeps a removed cluster while the routes in force still use
 * it (src/proxy/upstream/cluster-warming.ts). Asserted exactly: 0 failed requests, and the last rename's
 * subsets are the ones serving at the end.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runWeft, startWeft, type WeftProcess } from '../helpers/weft-process.js';
import { startSteadyLoad } from '../helpers/steady-load.js';

const HTTP_PORT = 19500;
const XDS_PORT = 19501;
const API_PORT = 19502;
const CA_PORT = 19503;
const SERVER = `http://127.0.0.1:${API_PORT}`;
const GATEWAY = `http://127.0.0.1:${HTTP_PORT}/`;
const RENAMES = 6;
const EVERY_MS = 2000;

const procs: WeftProcess[] = [];
const dirs: string[] = [];
after(async () => {
  for (const p of procs) await p.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** The DestinationRule and VirtualService of generation `g`: subsets `a<g>` (v1) and `b<g>` (v2), 50/50. */
const pair = (g: number) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web}
spec:
  host: web
  subsets:
  - {name: a${g}, labels: {version: v1}}
  - {name: b${g}, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - headers:
      response:
        set: {x-generation: "${g}"}
    route:
    - destination: {host: web, subset: a${g}}
      weight: 50
    - destination: {host: web, subset: b${g}}
      weight: 50
`;

test('a VirtualService and DestinationRule renaming their subsets together under 200 rps lose no request', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-warm-'));
  dirs.push(dir);
  const state = path.join(dir, '.state');
  await cp(path.join(REPO_ROOT, 'test/up/fixtures/split'), dir, { recursive: true });
  const mesh = startWeft(['up', dir, '--state', state, '--http-port', String(HTTP_PORT), '--xds-port', String(XDS_PORT), '--api-port', String(API_PORT), '--ca-port', String(CA_PORT), '--pod-net', '32']);
  procs.push(mesh);
  await mesh.waitFor(/✔ mesh ready in [\d.]+ s: gateway http:\/\/127\.0\.0\.1:19500/, 60_000);

  // Generation 0 in force before the load starts (the fixture's subsets are v1/v2).
  const first = await runWeft(['apply', '-f', '-', '--server', SERVER, '--state', state], { input: pair(0) });
  assert.equal(first.code, 0, first.stderr);
  await waitForGeneration(0);

  const load = startSteadyLoad(GATEWAY, { qps: 200, seconds: RENAMES * EVERY_MS / 1000 + 4 });
  try {
    await sleep(1500);
    for (let g = 1; g <= RENAMES; g++) {
      const applied = await runWeft(['apply', '-f', '-', '--server', SERVER, '--state', state], { input: pair(g) });
      assert.equal(applied.code, 0, applied.stderr);
      assert.match(applied.stdout, /destinationrule\.networking\.istio\.io\/web configured/);
      assert.match(applied.stdout, /virtualservice\.networking\.istio\.io\/web configured/);
      await sleep(EVERY_MS);
    }
  } catch (err) {
    load.kill();
    throw err;
  }
  const result = await load.done;
  t.diagnostic(`load: ${result.calls} calls, codes ${JSON.stringify(result.codes)}`);
  assert.ok(result.calls >= 200 * (RENAMES * EVERY_MS / 1000), `only ${result.calls} calls were made:\n${result.log}`);
  assert.equal(result.failed, 0, `failed calls by code: ${JSON.stringify(result.codes)}`);
  await waitForGeneration(RENAMES);
});

/** Polls the gateway (bounded) until responses carry `x-generation: g`. */
async function waitForGeneration(g: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await fetch(GATEWAY);
      await r.text();
      last = `${r.status} x-generation=${r.headers.get('x-generation')}`;
      if (r.status === 200 && r.headers.get('x-generation') === String(g)) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  assert.fail(`generation ${g} never served (last: ${last})`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
