/**
 * End to end: `weft control` as a real process, `weft apply/get/delete/proxy-status` as real
 * processes against it, and a real ADS client (the one the proxy uses) receiving translated config.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runWeft, startWeft, type WeftProcess } from '../helpers/weft-process.js';
import { AdsClient } from '../../src/xds/ads-client.js';
import { TypeUrl } from '../../src/envoy/type-url.js';

const REGISTRY = `apiVersion: v1
kind: Service
metadata: {name: reviews}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v1, labels: {app: reviews, version: v1}}
spec: {address: 127.0.0.21, labels: {app: reviews, version: v1}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: reviews-v2, labels: {app: reviews, version: v2}}
spec: {address: 127.0.0.22, labels: {app: reviews, version: v2}}
`;

const DR = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

const BAD_VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
      weight: 80
    - destination: {host: reviews, subset: v2}
      wieght: 20
`;

const procs: WeftProcess[] = [];
const dirs: string[] = [];
after(async () => {
  for (const p of procs) await p.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function startControl(configDir: string, stateDir: string): Promise<{ proc: WeftProcess; server: string; xds: string }> {
  // The ADS clients below have no workload certificate: they use the explicit plaintext debug port.
  const proc = startWeft(['control', '--config', configDir, '--state', stateDir, '--xds-port', '0', '--insecure-xds-port', '0', '--http-port', '0', '--debounce', '20']);
  procs.push(proc);
  const m = await proc.waitFor(/xDS on [\d.]+:\d+, API on (http:\/\/[\d.]+:\d+)[\s\S]*insecure xDS on ([\d.]+):(\d+)/);
  return { proc, xds: `${m[2]}:${m[3]}`, server: m[1]! };
}

test('weft control serves translated config over ADS; apply/get/delete/proxy-status work against it', async () => {
  const config = await mkdtemp(path.join(os.tmpdir(), 'weft-cfg-'));
  const state = await mkdtemp(path.join(os.tmpdir(), 'weft-state-'));
  dirs.push(config, state);
  await writeFile(path.join(config, 'registry.yaml'), REGISTRY);
  const { proc, server, xds } = await startControl(config, state);

  // A real ADS client, as a sidecar of reviews-v1 would connect.
  const updates: string[] = [];
  const client = new AdsClient({
    target: xds,
    node: {
      id: 'sidecar~127.0.0.21~reviews-v1.default~default.svc.cluster.local',
      metadata: { NAMESPACE: 'default', LABELS: { app: 'reviews', version: 'v1' }, SERVICE_ACCOUNT: 'default' },
    },
    onUpdate: (typeUrl) => {
      updates.push(typeUrl);
      return undefined;
    },
  });
  client.start();
  try {
    const clusterNames = () => [...client.resources(TypeUrl.Cluster).keys()];
    await waitUntil(() => clusterNames().includes('outbound|9080||reviews.default.svc.cluster.local'));
    // CDS comes first in Envoy's push order; listeners and their routes follow on the same stream.
    await waitUntil(() => client.resources(TypeUrl.Listener).size > 0 && client.resources(TypeUrl.RouteConfiguration).has('9080'));

    // Apply a DestinationRule: subset clusters appear on the connected proxy.
    const drFile = path.join(config, '..', `dr-${path.basename(config)}.yaml`);
    await writeFile(drFile, DR);
    dirs.push(drFile);
    const applied = await runWeft(['apply', '-f', drFile, '--server', server, '--state', state]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(applied.stdout.trim(), 'destinationrule.networking.istio.io/reviews created');
    await waitUntil(() => clusterNames().includes('outbound|9080|v2|reviews.default.svc.cluster.local'));

    // A typo is refused with file and line; nothing changes.
    const bad = await runWeft(['apply', '-f', '-', '--server', server, '--state', state], { input: BAD_VS });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^-:11:\d+: Error \[IST0106\] .*wieght/m);
    const vs = await runWeft(['get', 'vs', '--server', server, '--state', state]);
    assert.match(vs.stderr, /No resources found/);

    const got = await runWeft(['get', 'dr', 'reviews', '-o', 'json', '--server', server, '--state', state]);
    assert.equal(JSON.parse(got.stdout).spec.host, 'reviews');

    const status = await runWeft(['proxy-status', '--server', server, '--state', state]);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /^reviews-v1\.default\s+Kubernetes\s+SYNCED\s+SYNCED\s+SYNCED\s+SYNCED/m);

    // Restart: applied config survives.
    await proc.stop();
    const second = await startControl(config, state);
    const again = await runWeft(['get', 'destinationrule', '--server', second.server, '--state', state]);
    // SOURCE: restored from the state directory, it is "applied" (issue 11, Deliver 7).
    assert.match(again.stdout, /^reviews\s+reviews\s+applied$/m);
    const del = await runWeft(['delete', 'dr', 'reviews', '--server', second.server, '--state', state]);
    assert.equal(del.stdout.trim(), 'destinationrule.networking.istio.io "reviews" deleted');
    const gone = await runWeft(['get', 'dr', 'reviews', '--server', second.server, '--state', state]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /NOT_FOUND/);
  } finally {
    client.close();
  }
});

test('CLI commands report an unreachable control plane clearly', async () => {
  const r = await runWeft(['get', 'vs', '--server', 'http://127.0.0.1:9']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^weft: SERVER_UNREACHABLE: cannot reach the control plane at http:\/\/127\.0\.0\.1:9/m);
});

async function waitUntil(cond: () => boolean, limitMs = 15_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
