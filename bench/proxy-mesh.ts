/**
 * The Weft side of the proxy benchmark: an in-process control plane (temp config dir) with
 * - Service `direct` → WorkloadEntry at the upstream nginx (path c: client sidecar → upstream);
 * - Service `app` → WorkloadEntry at the app sidecar's pod IP, whose inbound forwards to the same
 *   upstream (path d: gateway → app sidecar → upstream), and a Gateway + VirtualService for it;
 * - Service `direct-retry` → the same upstream, with a VirtualService route carrying retries
 *   (attempts 3, perTryTimeout 2s, retryOn 5xx,reset,connect-failure) and a DestinationRule with
 *   outlierDetection (issue 5's bench: a client sidecar calls it exactly as it calls `direct`);
 * - Service `secure` → WorkloadEntry at the server sidecar's pod IP (`tlsMode: istio`, service
 *   account `secure`), whose inbound forwards to the same upstream, under a workload-selected
 *   PeerAuthentication STRICT (issue 6's bench: client sidecar → mTLS → server sidecar → upstream,
 *   both proxies with workload certificates from the control plane's CA);
 * and the proxies as child processes (bench/proxy-child.ts), pinned to the proxy core.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlPlane } from '../src/control/control-plane.js';
import type { ProxyChildOptions, ProxyChildReady } from './proxy-child.js';
import type { Child, ProcessGroup } from './lib/processes.js';
import { PROXY_NODE_FLAGS } from '../src/proxy/node-flags.js';

/** Loopback addresses of the benchmark (a /16 of 127.0.0.0/8 that nothing else here uses). */
export const ADDR = {
  upstream: '127.77.0.2',
  nginxProxy: '127.77.0.3',
  clientSidecar: '127.77.0.10',
  gateway: '127.77.0.20',
  appSidecar: '127.77.0.21',
  profiledSidecar: '127.77.0.11',
  retrySidecar: '127.77.0.12',
  mtlsClientSidecar: '127.77.0.13',
  mtlsServerSidecar: '127.77.0.22',
  // The baseline build's proxies (WEFT_BENCH_BASELINE): the same paths, side by side in the same rounds.
  sidecarBefore: '127.77.0.14',
  mtlsClientBefore: '127.77.0.15',
  appSidecarBefore: '127.77.0.23',
  mtlsServerBefore: '127.77.0.24',
  gatewayBefore: '127.77.0.25',
} as const;

/** Service accounts of the mTLS pair (their SPIFFE identities come from the mesh CA). */
export const MTLS_SA = { client: 'client', server: 'secure' } as const;

/**
 * The mesh YAML: `upstreamPort` is the nginx port (also the `app` service port); `gatewayPort` the Gateway's.
 * `baseline`: also the twins the baseline build's proxies serve (see {@link baselineMeshYaml}).
 */
export function benchMeshYaml(upstreamPort: number, gatewayPort: number, baseline = false): string {
  return (baseline ? baselineMeshYaml(upstreamPort, gatewayPort) : '') + `apiVersion: v1
kind: Service
metadata: {name: direct, namespace: default}
spec:
  selector: {app: upstream}
  ports: [{name: http, port: ${upstreamPort}, targetPort: ${upstreamPort}}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: upstream-0, namespace: default}
spec: {address: ${ADDR.upstream}, labels: {app: upstream}}
---
apiVersion: v1
kind: Service
metadata: {name: app, namespace: default}
spec:
  selector: {app: app}
  ports: [{name: http, port: ${upstreamPort}, targetPort: ${upstreamPort}}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: app-0, namespace: default}
spec: {address: ${ADDR.appSidecar}, labels: {app: app}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bench-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${gatewayPort}, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: app-via-gateway, namespace: default}
spec:
  hosts: ["*"]
  gateways: [bench-gateway]
  http:
  - route:
    - destination: {host: app.default.svc.cluster.local, port: {number: ${upstreamPort}}}
---
apiVersion: v1
kind: Service
metadata: {name: direct-retry, namespace: default}
spec:
  selector: {app: upstream}
  ports: [{name: http, port: ${upstreamPort}, targetPort: ${upstreamPort}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: direct-retry, namespace: default}
spec:
  hosts: [direct-retry.default.svc.cluster.local]
  http:
  - route:
    - destination: {host: direct-retry.default.svc.cluster.local, port: {number: ${upstreamPort}}}
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "5xx,reset,connect-failure"}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: direct-retry, namespace: default}
spec:
  host: direct-retry.default.svc.cluster.local
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}
---
` + strictServiceYaml('secure', ADDR.mtlsServerSidecar, upstreamPort);
}

/**
 * The baseline build's twins of the gateway and mTLS paths: `app-before` behind its own Gateway
 * (selected by the baseline gateway's label, same port on its own address) and `secure-before`
 * under its own STRICT PeerAuthentication, so the baseline proxies never share an endpoint with
 * the proxies under test. The plain sidecar path needs no twin: a baseline client sidecar calls `direct`.
 */
function baselineMeshYaml(upstreamPort: number, gatewayPort: number): string {
  return `apiVersion: v1
kind: Service
metadata: {name: app-before, namespace: default}
spec:
  selector: {app: app-before}
  ports: [{name: http, port: ${upstreamPort}, targetPort: ${upstreamPort}}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: app-before-0, namespace: default}
spec: {address: ${ADDR.appSidecarBefore}, labels: {app: app-before}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bench-gateway-before, namespace: default}
spec:
  selector: {istio: ingressgateway-before}
  servers:
  - port: {number: ${gatewayPort}, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: app-via-gateway-before, namespace: default}
spec:
  hosts: ["*"]
  gateways: [bench-gateway-before]
  http:
  - route:
    - destination: {host: app-before.default.svc.cluster.local, port: {number: ${upstreamPort}}}
---
` + strictServiceYaml('secure-before', ADDR.mtlsServerBefore, upstreamPort) + '---\n';
}

/**
 * An mTLS server's Service (selector `app: <name>`), its WorkloadEntry at `address` (`tlsMode: istio`,
 * service account {@link MTLS_SA}.server) and a workload-selected STRICT PeerAuthentication.
 */
function strictServiceYaml(name: string, address: string, upstreamPort: number): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: default}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: ${upstreamPort}, targetPort: ${upstreamPort}}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ${name}-0, namespace: default}
spec:
  address: ${address}
  serviceAccount: ${MTLS_SA.server}
  labels: {app: ${name}, security.istio.io/tlsMode: istio}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: ${name}-strict, namespace: default}
spec:
  selector: {matchLabels: {app: ${name}}}
  mtls: {mode: STRICT}
`;
}

/**
 * Starts a control plane over `dir` (files written by the caller) on free ports; returns it and its
 * ADS address. `withCa`: the mesh CA too (CSR service on a free port, root in memory only).
 */
export async function startControlPlane(dir: string, podAddress?: ConstructorParameters<typeof ControlPlane>[0]['podAddress'], withCa = false): Promise<{ cp: ControlPlane; xds: string }> {
  const cp = new ControlPlane({ store: { watchDir: dir, debounceMs: 20 }, httpPort: 0, podAddress, ...(withCa ? { ca: { port: 0 } } : { insecureXdsPort: 0 }) });
  // With the CA, proxies have identities and dial the authenticated port; without, the plaintext one.
  const { xdsPort, insecureXdsPort } = await cp.start();
  return { cp, xds: `127.0.0.1:${withCa ? xdsPort : insecureXdsPort}` };
}

/** Identity options for a proxy child of a control plane started `withCa` (a fresh single-use token). */
export async function proxyIdentity(cp: ControlPlane, namespace: string, serviceAccount: string): Promise<NonNullable<ProxyChildOptions['identity']>> {
  const ca = cp.ca;
  if (!ca) throw new Error('the control plane has no CA (startControlPlane(…, withCa = true))');
  return { caAddress: `127.0.0.1:${ca.port}`, rootCertPem: ca.rootCertPem, token: await ca.mintToken(namespace, serviceAccount) };
}

/** Writes the benchmark mesh into `dir`. */
export function writeBenchMesh(dir: string, upstreamPort: number, gatewayPort: number, baseline = false): void {
  writeFileSync(path.join(dir, 'mesh.yaml'), benchMeshYaml(upstreamPort, gatewayPort, baseline));
}

/** The compiled proxy child entry. */
export const PROXY_CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'proxy-child.js');

/** A proxy child that reported READY. */
export interface ProxyProcess {
  readonly child: Child;
  readonly ready: ProxyChildReady;
}

/**
 * A `podAddress` for {@link startControlPlane} on a generated mesh: each pod gets the next address
 * of 127.78.0.0/16, the same one every time it is asked (the control plane requires that).
 */
export function sequentialPodAddresses(): (pod: { namespace: string; name: string }) => string {
  let next = 0;
  const addr = new Map<string, string>();
  return (pod) => {
    const key = `${pod.namespace}/${pod.name}`;
    let a = addr.get(key);
    if (!a) {
      next++;
      a = `127.78.${(next >> 8) & 255}.${next & 255}`;
      addr.set(key, a);
    }
    return a;
  };
}

/** The proxy child entry of another build of Weft (a checkout at `root`, built with `npm run build`). */
export function proxyChildOf(root: string): string {
  return path.join(root, 'dist/bench/proxy-child.js');
}

/**
 * Starts one Weft proxy as a child process (pinned to `cores`), resolving once it is READY. It runs
 * with the node flags `weft up` gives its proxies ({@link PROXY_NODE_FLAGS}), plus `nodeFlags`;
 * `script` is the child entry (another build's, {@link proxyChildOf}, for a baseline).
 */
export async function startProxyChild(group: ProcessGroup, options: ProxyChildOptions, cores: string | undefined, name: string, nodeFlags: readonly string[] = [], timeoutMs = 60_000, script = PROXY_CHILD): Promise<ProxyProcess> {
  const child = group.start(process.execPath, [...PROXY_NODE_FLAGS, ...nodeFlags, script, JSON.stringify(options)], { cores, name });
  const line = await child.waitForLine((l) => l.startsWith('READY '), timeoutMs);
  return { child, ready: JSON.parse(line.slice(6)) as ProxyChildReady };
}
