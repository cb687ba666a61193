/**
 * Real Weft proxies for end-to-end tests, in the test's process (`startProxy`, src/proxy/proxy.ts):
 * a sidecar or an ingress gateway on its own loopback address, every listener a test does not name
 * on an ephemeral port, connected to a `TestControlPlane`, optionally with a workload certificate
 * from its CA (bootstrap token minted for the proxy's service account, as istio-agent's CSR flow).
 */
import { startProxy, type ProxyHandle, type ProxyOptions } from '../../src/proxy/proxy.js';
import type { TestControlPlane } from './control-plane.js';

/** One proxy's identity and wiring. */
export interface TestProxyOptions {
  readonly role?: 'sidecar' | 'gateway';
  /** The pod address the proxy listens on. */
  readonly ip: string;
  readonly pod: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount?: string;
  /** The app's address behind a sidecar (default: the pod address). */
  readonly appAddress?: string;
  readonly workloadName?: string;
  /** Obtain a workload certificate from the control plane's CA (`ttlMs`: its lifetime). */
  readonly identity?: boolean | { readonly ttlMs?: number };
  /** Any other proxy option, applied last. */
  readonly extra?: Partial<ProxyOptions>;
  /** Wait until the proxy has its first config (default true). */
  readonly waitReady?: boolean;
}

/** Starts a proxy against `controlPlane`; by default resolves once it is ready. */
export async function startTestProxy(controlPlane: TestControlPlane, o: TestProxyOptions): Promise<ProxyHandle> {
  const role = o.role ?? 'sidecar';
  const namespace = o.namespace ?? 'default';
  let identity: ProxyOptions['identity'];
  if (o.identity) {
    const ca = controlPlane.ca;
    if (!ca) throw new Error('startTestProxy: identity needs a control plane started with { ca: true }');
    const ttlMs = typeof o.identity === 'object' ? o.identity.ttlMs : undefined;
    identity = { caAddress: ca.address, rootCertPem: ca.rootCertPem, token: await ca.mintToken(namespace, o.serviceAccount ?? 'default'), ...(ttlMs !== undefined ? { ttlMs } : {}) };
  }
  const proxy = await startProxy({
    role, ip: o.ip, podName: o.pod, namespace, labels: { ...o.labels },
    ...(o.serviceAccount !== undefined ? { serviceAccount: o.serviceAccount } : {}),
    ...(o.appAddress !== undefined ? { appAddress: o.appAddress } : {}),
    ...(o.workloadName !== undefined ? { workloadName: o.workloadName } : {}),
    xds: controlPlane.xds, outboundPort: 0, adminPort: 0, readyPort: 0, prometheusPort: 0,
    ...(role === 'gateway' ? { gatewayHost: o.ip, bindPort: () => 0 } : {}),
    ...(identity ? { identity } : {}),
    ...o.extra,
  });
  if (o.waitReady !== false) await proxy.ready();
  return proxy;
}
