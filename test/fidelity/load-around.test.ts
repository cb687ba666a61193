/**
 * End to end (issue 12, Deliver 4 and a Kubernetes Pod as a workload source): config Weft does not
 * run loads around it, as istioctl and kubectl do. The fixture's `mixed.yaml` holds a NetworkPolicy
 * (not Istio config: an info, WFT0007), an EnvoyFilter (an Istio kind Weft does not run: a warning,
 * WFT0006) and the VirtualService the gateway routes by; `mesh.yaml` a Deployment, a bare Pod, their
 * Services and the Gateway.
 *
 * - `weft analyze` exits 0 with the info and the warning (istioctl's default failure threshold is
 *   Error), `--suppress` in istioctl's `Kind name.namespace` form silences one, and
 *   `--failure-threshold Warning` turns the warning into exit 79.
 * - `weft up` serves that VirtualService through the gateway and real proxies; the bare Pod runs with
 *   a sidecar under its own name and service account and its Service is reachable through the mesh;
 *   messages from files edited while it runs are printed then (a second definition of a resource
 *   wins, with WFT0003); `--suppress` silences a notice; `weft proxy-config cluster POD -n NS`
 *   (istioctl's spelling) reads the Pod's proxy.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runWeft, startWeft, type WeftProcess } from '../helpers/weft-process.js';
import { closeClients, get } from '../helpers/http-client.js';

// Ports of this file: 19550-19559 (the range of the loader slice); pods on 127.224.x.y.
const HTTP_PORT = 19550;
const XDS_PORT = 19551;
const API_PORT = 19552;
const HTTPS_PORT = 19553;
const SERVER = `http://127.0.0.1:${API_PORT}`;
const GATEWAY = `http://127.0.0.1:${HTTP_PORT}`;
const FIXTURE = 'test/fidelity/fixtures/load-around';

const procs: WeftProcess[] = [];
const dirs: string[] = [];
after(async () => {
  for (const p of procs) await p.stop();
  closeClients();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** Polls `probe` until it returns true (bounded: `tries` × 250 ms). */
async function until(what: string, probe: () => Promise<boolean> | boolean, tries = 80): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('weft analyze: a NetworkPolicy, an EnvoyFilter and a VirtualService in one file exit 0 with an info and a warning', async () => {
  const r = await runWeft(['analyze', FIXTURE]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines, [
    `Warning [WFT0006] (EnvoyFilter default/add-header ${FIXTURE}/mixed.yaml:11) EnvoyFilter (networking.istio.io/v1alpha3) is an Istio kind Weft does not run: it is not applied (Weft's proxy is not Envoy and does not apply Envoy config patches; weft analyze still checks its patches); the file's other documents load`,
    `Info [WFT0007] (NetworkPolicy default/deny-all ${FIXTURE}/mixed.yaml:4) NetworkPolicy (networking.k8s.io/v1) is not Istio configuration: skipped (the file's other documents load)`,
  ]);
  // istioctl's suppression syntax, `CODE=Kind name.namespace`, and Weft's `Kind namespace/name` with a wildcard.
  const quiet = await runWeft(['analyze', FIXTURE, '--suppress', 'WFT0007=NetworkPolicy deny-all.default', '--suppress', 'WFT0006=EnvoyFilter default/*']);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stdout, '');
  assert.match(quiet.stderr, /No validation issues found/);
  // At or above --failure-threshold: exit 79 (the default threshold is Error, as istioctl's).
  const strict = await runWeft(['analyze', FIXTURE, '--failure-threshold', 'Warning']);
  assert.equal(strict.code, 79, strict.stdout + strict.stderr);
});

test('weft up runs a bare Pod with a sidecar: a Service selecting it is reachable through the mesh, under its own name and service account', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-load-around-'));
  dirs.push(dir);
  // Readable by the app user (nobody, when root), as an app directory should be.
  await chmod(dir, 0o755);
  await cp(path.join(REPO_ROOT, FIXTURE), dir, { recursive: true });
  const state = path.join(dir, '.state');
  const mesh = startWeft([
    'up', dir, '--state', state, '--http-port', String(HTTP_PORT), '--https-port', String(HTTPS_PORT), '--xds-port', String(XDS_PORT),
    '--api-port', String(API_PORT), '--pod-net', '224', '--suppress', 'WFT0006=EnvoyFilter add-header.default',
  ]);
  procs.push(mesh);
  await mesh.waitFor(/✔ mesh ready in [\d.]+ s/, 90_000);

  await t.test('the VirtualService of the mixed file routes through the gateway', async () => {
    await until('the gateway route /web', async () => (await get(`${GATEWAY}/web/x`)).status === 200);
    const r = await get(`${GATEWAY}/web/x`);
    assert.equal(r.status, 200, r.body);
    assert.match(r.body, /^web web-0 sa=default path=\/web\/x/);
    assert.equal(r.headers['x-routed-by'], 'mixed-vs');
    // No rule of the VirtualService matches: the gateway has no route.
    assert.equal((await get(`${GATEWAY}/elsewhere`)).status, 404);
    // The info was printed; the suppressed warning was not.
    assert.match(mesh.output(), /Info \[WFT0007\] NetworkPolicy \(networking\.k8s\.io\/v1\) is not Istio configuration: skipped .*\(NetworkPolicy default\/deny-all\)/);
    assert.doesNotMatch(mesh.output(), /WFT0006/);
  });

  await t.test('the bare Pod serves its Service through its sidecar', async () => {
    await until('the gateway route /solo', async () => (await get(`${GATEWAY}/solo`)).status === 200);
    for (let i = 0; i < 20; i++) {
      const r = await get(`${GATEWAY}/solo/${i}`);
      assert.equal(r.status, 200, r.body);
      assert.equal(r.body, `solo solo sa=solo-sa path=/solo/${i}\n`);
    }
    const status = await runWeft(['proxy-status', '--server', SERVER, '--state', state]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^solo\.default\s+\S+\s+SYNCED\s+SYNCED\s+SYNCED\s+SYNCED/m);
    // istioctl's spellings: singular section, POD with -n NS.
    const clusters = await runWeft(['proxy-config', 'cluster', 'solo', '-n', 'default', '--server', SERVER, '--state', state]);
    assert.equal(clusters.code, 0, clusters.stderr);
    assert.match(clusters.stdout, /^\s+9091\s+-\s+inbound\s+STATIC/m);
    assert.match(clusters.stdout, /^web\.default\.svc\.cluster\.local\s+9080\s+-\s+outbound/m);
    const routes = await runWeft(['proxy-config', 'route', 'istio-ingressgateway-0.istio-system', '--server', SERVER, '--state', state]);
    assert.equal(routes.code, 0, routes.stderr);
  });

  await t.test('messages from files edited while weft up runs are printed then; a second definition wins with WFT0003', async () => {
    await writeFile(path.join(dir, 'zz-later.yaml'), `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: alerts}
spec: {groups: []}
---
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: auth}
spec: {url: oci://example/auth:1}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - match:
    - uri: {prefix: /web}
    headers:
      response:
        set: {x-routed-by: later-vs}
    route:
    - destination: {host: web}
`);
    await mesh.waitFor(/Info \[WFT0007\] PrometheusRule \(monitoring\.coreos\.com\/v1\) is not Istio configuration/, 20_000);
    await mesh.waitFor(/Warning \[WFT0006\] WasmPlugin \(extensions\.istio\.io\/v1alpha1\) is an Istio kind Weft does not run/, 20_000);
    await mesh.waitFor(/zz-later\.yaml:11: Warning \[WFT0003\] VirtualService default\/web is also defined at .*mixed\.yaml:33: this later one is used/, 20_000);
    await until('the later VirtualService', async () => (await get(`${GATEWAY}/web/y`)).headers['x-routed-by'] === 'later-vs');
    // The later definition replaced the whole resource: its /solo rule is gone.
    assert.equal((await get(`${GATEWAY}/solo`)).status, 404);
  });

  await t.test('weft apply applies the rest of a file with a kind Weft does not run, printing the info unless suppressed', async () => {
    const text = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np2}\nspec: {podSelector: {}}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: extra}\n';
    const loud = await runWeft(['apply', '-f', '-', '--server', SERVER, '--state', state], { input: text });
    assert.equal(loud.code, 0, loud.stderr);
    assert.equal(loud.stdout, 'serviceaccount/extra created\n');
    assert.match(loud.stderr, /Info \[WFT0007\].*NetworkPolicy \(networking\.k8s\.io\/v1\) is not Istio configuration/);
    const quiet = await runWeft(['apply', '-f', '-', '--suppress', 'WFT0007=NetworkPolicy np2.default', '--server', SERVER, '--state', state], { input: text });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stdout, 'serviceaccount/extra unchanged\n');
    assert.doesNotMatch(quiet.stderr, /WFT0007/);
  });

  assert.equal(await mesh.stop(), 0);
});
