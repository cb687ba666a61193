/**
 * End-to-end test of `weft explain` as a child process against Bookinfo's files (no running mesh):
 * the text report and `-o json` for jason's request to reviews, and the user errors with their
 * stable codes, through the real `node bin/weft.js`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ENTRY = path.join(ROOT, 'bin/weft.js');
const FILES = ['-f', 'samples/bookinfo', '-f', 'samples/tasks/bookinfo/virtual-service-reviews-test-v2.yaml'];

function weft(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [ENTRY, 'explain', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('jason to reviews: the text report names the rule, v2, the endpoint, mTLS and the decision', () => {
  const r = weft(...FILES, '--from', 'productpage-v1', '-H', 'end-user: jason', 'http://reviews:9080/reviews/0');
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /^Verdict: routed to outbound\|9080\|v2\|reviews\.default\.svc\.cluster\.local\n/);
  assert.match(out, /\n {2}listener: +0\.0\.0\.0_9080 \(filter chain #0\)\n/);
  assert.match(out, /\n {2}virtual host: +reviews\.default\.svc\.cluster\.local:9080\n/);
  assert.match(out, /\n {2}VirtualService: +default\/reviews rule 0 \(match 0\)\n/);
  assert.match(out, /\n {2}DestinationRule: +default\/reviews \(subset v2: version=v2\)\n/);
  assert.match(out, /\n {2}endpoints: +10\.0\.\d+\.\d+:9080 {2}HEALTHY {2}reviews-v2-0\.default\n/);
  assert.match(out, /\n {2}TLS: +ISTIO_MUTUAL \(auto mTLS/);
  assert.match(out, /\n {2}PeerAuthentication: +STRICT \(mesh-wide policy istio-system\/default\)\n/);
  assert.match(out, /\n {2}authorization: +ALLOW: no policy\n/);
  assert.match(out, /Config source: files: samples\/bookinfo, /);
  assert.equal(r.stderr, '');
});

test('-o json prints the structured result; without the header rule 0 is reported as not matched', () => {
  const r = weft(...FILES, '--from', 'productpage-v1', '-o', 'json', 'http://reviews:9080/reviews/0');
  assert.equal(r.code, 0, r.stderr);
  const e = JSON.parse(r.stdout) as {
    outbound: { virtualService: unknown; notMatched: { reason: string }[] };
    destinations: { cluster: string; share: number; inbound: { authorization: { decision: string } } }[];
  };
  assert.deepEqual(e.outbound.virtualService, { name: 'default/reviews', rule: 1, match: -1 });
  assert.equal(e.outbound.notMatched[0]?.reason, 'header end-user exact "jason": absent');
  assert.equal(e.destinations[0]?.cluster, 'outbound|9080|v1|reviews.default.svc.cluster.local');
  assert.equal(e.destinations[0]?.inbound.authorization.decision, 'ALLOW');
});

test('user errors: unknown workload, URL without host, missing --from', () => {
  const unknown = weft(...FILES, '--from', 'nope-v1', 'http://reviews:9080/');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^weft: EXPLAIN_UNKNOWN_WORKLOAD: no workload "nope-v1" in namespace default\n/);
  assert.match(unknown.stderr, /productpage-v1/);
  const noHost = weft(...FILES, '--from', 'productpage-v1', '/reviews/0');
  assert.equal(noHost.code, 2);
  assert.match(noHost.stderr, /^weft: EXPLAIN_URL_NO_HOST: /);
  const noFrom = weft(...FILES, 'http://reviews:9080/');
  assert.equal(noFrom.code, 2);
  assert.match(noFrom.stderr, /^weft: USAGE: explain needs --from/);
});
