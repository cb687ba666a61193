/**
 * Issue 12, deliver 5: `weft analyze` on a par with `istioctl analyze`. The real CLI runs as a
 * process over fixture directories under `test/fidelity/analyze/` and must print exactly istioctl's
 * codes, levels, resources and texts, with Weft's file:line, and exit 79 only when an Error is found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIR = 'test/fidelity/analyze';

function analyze(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/weft.js'), 'analyze', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TERM: 'dumb' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('analyze fidelity: warnings only (IST0128, IST0140, IST0150, IST0162) print with file:line and exit 0', () => {
  const r = analyze(`${DIR}/warnings`);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(r.stdout.trimEnd().split('\n'), [
    `Warning [IST0128] (DestinationRule default/payments ${DIR}/warnings/external.yaml:22) DestinationRule default/payments in namespace default has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: payments.default.svc.cluster.local`,
    `Warning [IST0140] (VirtualService default/reviews-ingress ${DIR}/warnings/ingress.yaml:35) Subset in virtual service default/reviews has no effect on ingress gateway default/reviews-ingress requests`,
    `Warning [IST0150] (Service default/payments ${DIR}/warnings/external.yaml:11) Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched traffic for ports serving TCP protocol from being forwarded correctly`,
    `Warning [IST0162] (Gateway default/bookinfo-gateway ${DIR}/warnings/ingress.yaml:9) The gateway is listening on a target port (port 8081) that is not defined in the Service associated with its workload instances (Pod selector istio=ingressgateway). If you need to access the gateway port through the gateway Service, it will not be available.`,
  ]);
});

test('analyze fidelity: errors (IST0101 host and selector, IST0109, IST0112, IST0152 on an EnvoyFilter Weft does not run) print with file:line and exit 79', () => {
  const r = analyze(`${DIR}/errors`);
  assert.equal(r.code, 79, r.stdout + r.stderr);
  const conflict = 'The VirtualServices default/ratings-a,default/ratings-b associated with mesh gateway define the same host */ratings.default.svc.cluster.local which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.';
  assert.deepEqual(r.stdout.trimEnd().split('\n'), [
    `Error [IST0101] (Gateway default/edge ${DIR}/errors/mesh.yaml:65) Referenced selector not found: "istio=edgegateway"`,
    `Error [IST0101] (VirtualService default/ratings-b ${DIR}/errors/mesh.yaml:55) Referenced host not found: "ratingz"`,
    `Error [IST0109] (VirtualService default/ratings-a ${DIR}/errors/mesh.yaml:38) ${conflict}`,
    `Error [IST0109] (VirtualService default/ratings-b ${DIR}/errors/mesh.yaml:49) ${conflict}`,
    `Error [IST0112] (VirtualService default/ratings-a ${DIR}/errors/mesh.yaml:44) This VirtualService routes to a service "ratings" that exposes multiple ports [9080 9090]. Specifying a port in the destination is required to disambiguate.`,
    `Error [IST0152] (EnvoyFilter default/replace-cluster ${DIR}/errors/envoyfilter.yaml:13) The REPLACE operation is only valid for HTTP_FILTER and NETWORK_FILTER.`,
    `Warning [WFT0006] (EnvoyFilter default/replace-cluster ${DIR}/errors/envoyfilter.yaml:4) EnvoyFilter (networking.istio.io/v1alpha3) is an Istio kind Weft does not run: it is not applied (Weft's proxy is not Envoy and does not apply Envoy config patches; weft analyze still checks its patches); the file's other documents load`,
  ]);
  assert.match(r.stderr, /^Error: Analyzers found issues when analyzing namespace: default\./);
});

test('analyze fidelity: the new codes are suppressible, and -o json carries istioctl fields', () => {
  const r = analyze('--suppress', 'IST0140=VirtualService default/*', '--suppress', 'IST0150=Service *', '-o', 'json', `${DIR}/warnings`);
  assert.equal(r.code, 0, r.stderr);
  const list = JSON.parse(r.stdout) as { code: string; level: string; origin: string; reference: string }[];
  assert.deepEqual(list.map((m) => `${m.level} ${m.code} ${m.origin} ${m.reference}`), [
    `Warning IST0128 DestinationRule default/payments ${DIR}/warnings/external.yaml:22`,
    `Warning IST0162 Gateway default/bookinfo-gateway ${DIR}/warnings/ingress.yaml:9`,
  ]);
});
