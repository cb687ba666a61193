/**
 * The explain engine on Bookinfo (samples/bookinfo plus Istio's task files in samples/tasks):
 * request routing, traffic shifting, fault injection, REGISTRY_ONLY, authorization, mTLS, the
 * ingress gateway, ignored config, and the user errors.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { loadPaths, loadTexts } from '../config/load.js';
import type { Resource } from '../config/resource.js';
import { meshConfigWith, type MeshConfig } from '../config/mesh-config.js';
import { buildSnapshot, type MeshSnapshot } from '../model/snapshot.js';
import { UserError } from '../util/user-error.js';
import { analysisOf, configFromFiles } from './config-source.js';
import { explain } from './explain.js';
import type { Explanation, ExplainInput } from './types.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const sample = (...p: string[]) => path.join(ROOT, 'samples', ...p);
const BASE = [sample('bookinfo', 'platform'), sample('bookinfo', 'networking')];
const task = (f: string) => sample('tasks', 'bookinfo', f);
const reviews = (s: string) => `outbound|9080|${s}|reviews.default.svc.cluster.local`;

let base: Resource[] = [];
before(async () => {
  const loaded = await loadPaths(BASE);
  assert.deepEqual(loaded.diagnostics.filter((d) => d.level === 'Error'), []);
  base = loaded.resources;
});

/** A pod address allocator: 10.0.<net>.1, .2, … in allocation order. */
function addresses(net: number): { podAddress: () => string } {
  let n = 1;
  return { podAddress: () => `10.0.${net}.${n++}` };
}

/** Bookinfo plus task files and inline YAML, with placeholder pod addresses. */
async function snapshotWith(files: readonly string[] = [], yaml = '', mesh?: Partial<MeshConfig>): Promise<MeshSnapshot> {
  const extra = files.length > 0 ? (await loadPaths(files)).resources : [];
  const inline = yaml ? loadTexts([{ file: 'inline.yaml', text: yaml }]).resources : [];
  return buildSnapshot({
    resources: [...base, ...extra, ...inline],
    ...(mesh ? { meshConfig: meshConfigWith(mesh) } : {}),
    registry: addresses(0),
  });
}

function run(snapshot: MeshSnapshot, input: Partial<ExplainInput> & { url: string }): Explanation {
  return explain(snapshot, { from: 'productpage-v1', ...input });
}

describe('request routing (virtual-service-reviews-test-v2.yaml)', () => {
  test('end-user jason goes to reviews v2 by rule 0', async () => {
    const e = run(await snapshotWith([task('virtual-service-reviews-test-v2.yaml')]), { url: 'http://reviews:9080/reviews/0', headers: { 'End-User': 'jason' } });
    assert.equal(e.outbound.listener, '0.0.0.0_9080');
    assert.equal(e.outbound.routeConfig, '9080');
    assert.equal(e.outbound.virtualHost, 'reviews.default.svc.cluster.local:9080');
    assert.deepEqual(e.outbound.virtualService, { name: 'default/reviews', rule: 0, match: 0 });
    assert.deepEqual(e.outbound.notMatched, []);
    assert.equal(e.destinations.length, 1);
    const d = e.destinations[0]!;
    assert.equal(d.cluster, reviews('v2'));
    assert.equal(d.subset, 'v2');
    assert.deepEqual(d.subsetLabels, { version: 'v2' });
    assert.equal(d.destinationRule, 'default/reviews');
    assert.equal(d.share, 1);
    assert.equal(d.lbPolicy, 'LEAST_REQUEST');
    assert.equal(d.endpoints.length, 1);
    assert.equal(d.endpoints[0]!.workload, 'reviews-v2-0');
    assert.equal(d.endpoints[0]!.health, 'HEALTHY');
    assert.match(e.verdict, /routed to outbound\|9080\|v2\|reviews/);
  });

  test('everyone else goes to v1 by rule 1, with the reason rule 0 did not match', async () => {
    const snap = await snapshotWith([task('virtual-service-reviews-test-v2.yaml')]);
    const anon = run(snap, { url: 'http://reviews:9080/reviews/0' });
    assert.equal(anon.destinations[0]!.cluster, reviews('v1'));
    assert.deepEqual(anon.outbound.virtualService, { name: 'default/reviews', rule: 1, match: -1 });
    assert.deepEqual(anon.outbound.notMatched, [{ virtualService: 'default/reviews', rule: 0, match: 0, reason: 'header end-user exact "jason": absent' }]);
    const mike = run(snap, { url: 'http://reviews:9080/reviews/0', headers: { 'end-user': 'mike' } });
    assert.equal(mike.outbound.notMatched[0]!.reason, 'header end-user exact "jason": got "mike"');
  });

  test('all-v1: every service goes to its v1 subset', async () => {
    const snap = await snapshotWith([task('virtual-service-all-v1.yaml')]);
    for (const [host, cluster] of [['reviews', reviews('v1')], ['details', 'outbound|9080|v1|details.default.svc.cluster.local']] as const) {
      const e = run(snap, { url: `http://${host}:9080/`, headers: { 'end-user': 'jason' } });
      assert.equal(e.destinations[0]!.cluster, cluster);
      assert.equal(e.outbound.virtualService?.rule, 0);
    }
  });

  test('without VirtualServices the default route goes to the whole service', async () => {
    const e = run(await snapshotWith(), { url: 'http://reviews:9080/reviews/0' });
    assert.equal(e.outbound.virtualService, undefined);
    assert.equal(e.outbound.route?.name, 'default');
    assert.equal(e.destinations[0]!.cluster, reviews(''));
    assert.equal(e.destinations[0]!.endpoints.length, 3);
    assert.equal(e.outbound.timeoutMs, 0);
    assert.equal(e.outbound.retries?.attempts, 2);
    assert.equal(e.outbound.retries?.retryOn, 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes');
    assert.deepEqual(e.outbound.retries?.retriableStatusCodes, []);
  });

  test('a rule left out for this proxy by sourceLabels says so', async () => {
    const yaml = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - match: [{sourceLabels: {app: ratings}}]
    route: [{destination: {host: reviews, subset: v3}}]
  - route: [{destination: {host: reviews, subset: v1}}]
`;
    const e = run(await snapshotWith([], yaml), { url: 'http://reviews:9080/' });
    assert.equal(e.destinations[0]!.cluster, reviews('v1'));
    assert.equal(e.outbound.notMatched.length, 1);
    assert.equal(e.outbound.notMatched[0]!.rule, 0);
    assert.match(e.outbound.notMatched[0]!.reason, /^sourceLabels app=ratings: productpage-v1-0 has /);
  });
});

describe('traffic shifting', () => {
  test('50/50 between v1 and v3 shows both destinations with their shares', async () => {
    const e = run(await snapshotWith([task('virtual-service-reviews-50-v3.yaml')]), { url: 'http://reviews:9080/reviews/0' });
    assert.deepEqual(
      e.destinations.map((d) => [d.cluster, d.weight, d.share]),
      [[reviews('v1'), 50, 0.5], [reviews('v3'), 50, 0.5]],
    );
    assert.deepEqual(e.destinations.map((d) => d.inbound?.pod), ['reviews-v1-0', 'reviews-v3-0']);
    assert.match(e.verdict, /\(50%\), .*\(50%\)/);
  });
});

describe('fault injection (virtual-service-ratings-test-delay.yaml)', () => {
  test('jason gets the 7 s delay, and the default retries stay on (istiod route.go)', async () => {
    const snap = await snapshotWith([task('virtual-service-ratings-test-delay.yaml')]);
    const e = run(snap, { from: 'reviews-v2', url: 'http://ratings:9080/ratings/0', headers: { 'end-user': 'jason' } });
    assert.deepEqual(e.outbound.fault, { delay: { ms: 7000, percent: 100 } });
    assert.equal(e.outbound.timeoutMs, 0);
    assert.equal(e.outbound.retries?.attempts, 2);
    assert.equal(e.outbound.retries?.offReason, undefined);
    assert.match(e.verdict, /fault delays 100% by 7000 ms/);
    const other = run(snap, { from: 'reviews-v2', url: 'http://ratings:9080/ratings/0' });
    assert.equal(other.outbound.fault, undefined);
    assert.equal(other.outbound.retries?.attempts, 2);
  });
});

describe('fault and destination semantics (issue 12)', () => {
  test('an abort with no percentage aborts none, and the rule keeps its timeout and retries', async () => {
    const snap = await snapshotWith([], `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings-abort}
spec:
  hosts: [ratings]
  http:
  - fault: {abort: {httpStatus: 500}}
    timeout: 3s
    retries: {attempts: 4, retryOn: 5xx}
    route: [{destination: {host: ratings}}]
`);
    const e = run(snap, { from: 'reviews-v2', url: 'http://ratings:9080/ratings/0' });
    assert.deepEqual(e.outbound.fault, { abort: { httpStatus: 500, percent: 0 } });
    assert.match(e.verdict, /fault aborts 0% with HTTP 500/);
    assert.equal(e.outbound.timeoutMs, 3000);
    assert.equal(e.outbound.retries?.attempts, 4);
    assert.equal(e.outbound.retries?.retryOn, '5xx');
  });

  test('a resolution NONE ServiceEntry is an original-destination cluster, not "no endpoints"', async () => {
    const snap = await snapshotWith([], `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: passthrough}
spec:
  hosts: [legacy.internal]
  addresses: [10.99.0.0/16]
  ports: [{number: 8000, name: http, protocol: HTTP}]
  location: MESH_EXTERNAL
  resolution: NONE
`);
    const e = run(snap, { url: 'http://legacy.internal:8000/' });
    const d = e.destinations[0]!;
    assert.equal(d.cluster, 'outbound|8000||legacy.internal');
    assert.match(d.note ?? '', /ORIGINAL_DST cluster \(ServiceEntry resolution NONE\)/);
    assert.equal(e.notes.some((n) => /has no endpoints/.test(n.message)), false, JSON.stringify(e.notes));
  });
});

describe('outbound traffic policy', () => {
  test('an unknown host under REGISTRY_ONLY goes to the BlackHole', async () => {
    const snap = await snapshotWith([], '', { outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } });
    const e = run(snap, { url: 'http://example.com/' });
    assert.equal(e.destinations[0]!.cluster, 'BlackHoleCluster');
    assert.match(e.verdict, /^blocked/);
    const onServicePort = run(snap, { url: 'http://example.com:9080/' });
    assert.equal(onServicePort.outbound.virtualHost, 'block_all');
    assert.deepEqual(onServicePort.outbound.directResponse, { status: 502 });
    assert.match(onServicePort.verdict, /REGISTRY_ONLY/);
  });

  test('under ALLOW_ANY it passes through', async () => {
    const e = run(await snapshotWith(), { url: 'http://example.com/' });
    assert.equal(e.destinations[0]!.cluster, 'PassthroughCluster');
  });
});

describe('security at the destination', () => {
  const denyGet = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-get-details, namespace: default}
spec:
  selector: {matchLabels: {app: details}}
  action: DENY
  rules: [{to: [{operation: {methods: [GET]}}]}]
`;

  test('an AuthorizationPolicy denying GET to details: DENY with the policy', async () => {
    const snap = await snapshotWith([], denyGet);
    const e = run(snap, { url: 'http://details:9080/details/0' });
    const a = e.destinations[0]!.inbound?.authorization;
    assert.equal(a?.decision, 'DENY');
    assert.equal(a?.policy, 'default/deny-get-details');
    assert.equal(a?.rule, 0);
    assert.match(e.verdict, /denied at details-v1-0 \(policy default\/deny-get-details\)/);
    const post = run(snap, { url: 'http://details:9080/details/0', method: 'post' });
    assert.equal(post.destinations[0]!.inbound?.authorization?.decision, 'ALLOW');
  });

  test('no policy: ALLOW, over auto mTLS under the mesh-wide STRICT PeerAuthentication', async () => {
    const e = run(await snapshotWith(), { url: 'http://details:9080/details/0' });
    const d = e.destinations[0]!;
    assert.equal(d.tls?.mode, 'ISTIO_MUTUAL');
    assert.match(d.tls?.source ?? '', /auto mTLS/);
    assert.equal(d.tls?.sni, 'outbound_.9080_._.details.default.svc.cluster.local');
    const inbound = d.inbound!;
    assert.deepEqual(inbound.peerAuthentication, { mode: 'STRICT', policy: 'istio-system/default', scope: 'mesh' });
    assert.equal(inbound.listener, 'virtualInbound');
    assert.equal(inbound.filterChain, '0.0.0.0_9080_mtls');
    assert.equal(inbound.peerIdentity, 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage');
    assert.deepEqual(inbound.authorization, { decision: 'ALLOW', detail: 'no policy' });
  });

  test('a DestinationRule with tls DISABLE against STRICT: plaintext, refused at the destination', async () => {
    const dr = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: details}
spec:
  host: details
  trafficPolicy: {tls: {mode: DISABLE}}
`;
    const loaded = (await loadPaths(BASE)).resources.filter((r) => !(r.kind === 'DestinationRule' && r.metadata.name === 'details'));
    const snap = buildSnapshot({ resources: [...loaded, ...loadTexts([{ file: 'dr.yaml', text: dr }]).resources], registry: addresses(1) });
    const e = explain(snap, { from: 'productpage-v1', url: 'http://details:9080/' });
    const d = e.destinations[0]!;
    assert.equal(d.tls?.mode, 'plaintext');
    assert.match(d.tls?.source ?? '', /DestinationRule default\/details tls.mode DISABLE/);
    assert.match(d.inbound?.problem ?? '', /STRICT requires mTLS/);
  });
});

describe('ingress gateway', () => {
  test('--from ingress: bookinfo-gateway routes /productpage to productpage (port 80 maps to 8080)', async () => {
    const snap = await snapshotWith();
    for (const url of ['http://localhost:8080/productpage', 'http://bookinfo.example/productpage']) {
      const e = explain(snap, { from: 'ingress', url });
      assert.equal(e.source.role, 'gateway');
      assert.equal(e.outbound.listener, '0.0.0.0_8080');
      assert.deepEqual(e.outbound.virtualService, { name: 'default/bookinfo', rule: 0, match: 0 });
      assert.equal(e.destinations[0]!.cluster, 'outbound|9080||productpage.default.svc.cluster.local');
      assert.equal(e.destinations[0]!.inbound?.peerIdentity, 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account');
    }
    const other = explain(snap, { from: 'ingress', url: 'http://127.0.0.1:18080/productpage' });
    assert.equal(other.outbound.listener, '0.0.0.0_18080', 'a gateway run with --http-port 18080');
    assert.equal(other.destinations[0]!.cluster, 'outbound|9080||productpage.default.svc.cluster.local');
    const miss = explain(snap, { from: 'ingress', url: 'http://localhost:8080/reviews' });
    assert.equal(miss.outbound.action, 'error');
    assert.equal(miss.outbound.notMatched.length, 5);
    assert.match(miss.verdict, /404/);
  });
});

describe('ignored config', () => {
  test('a second VirtualService for reviews is reported as ignored on the sidecar', async () => {
    const second = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-late, creationTimestamp: "2030-01-01T00:00:00Z"}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, subset: v3}}]}]
`;
    const first = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, creationTimestamp: "2020-01-01T00:00:00Z"}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, subset: v1}}]}]
`;
    const e = run(await snapshotWith([], `${first}---\n${second}`), { url: 'http://reviews:9080/' });
    assert.equal(e.destinations[0]!.cluster, reviews('v1'));
    const note = e.notes.find((n) => n.resource === 'VirtualService default/reviews-late');
    assert.ok(note, JSON.stringify(e.notes));
    assert.match(note.message, /ignored for reviews.default.svc.cluster.local on this sidecar: VirtualService default\/reviews owns the host/);
  });

  test('analysis messages about resources on the path become notes', async () => {
    const cfg = await configFromFiles([...BASE, sample('tasks', 'bookinfo', 'virtual-service-reviews-test-v2.yaml')]);
    const bad = loadTexts([{ file: 'x.yaml', text: `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: details}
spec:
  hosts: [details]
  http: [{route: [{destination: {host: details, subset: v9}}]}]
` }]);
    const snapshot = buildSnapshot({ resources: [...cfg.resources, ...bad.resources], registry: addresses(2) });
    const analysis = analysisOf({ ...cfg, snapshot, resources: [...cfg.resources, ...bad.resources] });
    const e = explain(snapshot, { from: 'productpage-v1', url: 'http://details:9080/' }, { analysis });
    assert.ok(e.notes.some((n) => n.code === 'IST0101' && n.resource === 'VirtualService default/details'), JSON.stringify(e.notes));
  });
});

describe('errors', () => {
  const code = (fn: () => unknown, want: string) =>
    assert.throws(fn, (err: unknown) => err instanceof UserError && err.code === want);

  test('unknown workload', async () => {
    const snap = await snapshotWith();
    code(() => run(snap, { from: 'nope', url: 'http://reviews:9080/' }), 'EXPLAIN_UNKNOWN_WORKLOAD');
    code(() => run(snap, { from: 'productpage-v1', namespace: 'other', url: 'http://reviews:9080/' }), 'EXPLAIN_UNKNOWN_WORKLOAD');
  });

  test('URL without host', async () => {
    const snap = await snapshotWith();
    for (const url of ['/reviews/0', 'http:///reviews', 'http://:9080/x']) code(() => run(snap, { url }), 'EXPLAIN_URL_NO_HOST');
    code(() => run(snap, { url: 'ftp://reviews/x' }), 'EXPLAIN_BAD_URL');
  });

  test('a pod name works as well as the Deployment name', async () => {
    const e = run(await snapshotWith(), { from: 'productpage-v1-0', url: 'reviews:9080/' });
    assert.equal(e.source.pod, 'productpage-v1-0');
    assert.equal(e.request.port, 9080);
  });
});
