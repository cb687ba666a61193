/**
 * `weft control` assembled: config store → model snapshot (one per change) → per-proxy translation
 * → ADS push, plus the HTTP API. Data flows one way; a snapshot is never mutated, and a proxy's
 * resources are translated once per snapshot and cached. A {@link TranslationCache} carries built
 * objects across snapshots, so a change re-translates and re-encodes only what it touched, and
 * proxies that get the same resource list share one resource Map ({@link ResourceMaps}), so the
 * ADS server's per-Map caches and diffs are computed once, not once per proxy. Pushes are
 * scheduled (`AdsServer.schedulePush`): batched, yielding to the event loop, coalesced per proxy.
 */
import type http from 'node:http';
import type { Resource } from '../config/resource.js';
import type { Diagnostic } from '../config/diagnostic.js';
import { buildSnapshot, type MeshSnapshot } from '../model/snapshot.js';
import type { MeshConfig } from '../config/mesh-config.js';
import { DEFAULT_MESH_CONFIG } from '../config/mesh-config.js';
import type { ProxyNode } from '../model/proxy-node.js';
import { localityFromLabels } from '../registry/locality.js';
import type { PodIdentity } from '../registry/build-registry.js';
import type { Workload } from '../registry/types.js';
import type { TranslateOptions } from '../translate/translate.js';
import { SharedTranslator } from '../translate/shared-translation.js';
import { TranslationCache } from '../translate/translation-cache.js';
import { ResourceMaps } from './resource-maps.js';
import { TypeUrl } from '../envoy/type-url.js';
import { status as grpcStatus } from '@grpc/grpc-js';
import { AdsServer, type AdsAccessPolicy, type ProxyResources } from '../xds/ads-server.js';
import type { NodeInfo } from '../xds/node-info.js';
import type { ProxySyncStatus } from '../xds/sync-status.js';
import { ConfigStore, type ConfigStoreOptions } from './config-store.js';
import { MeshCa, type MeshCaOptions } from '../security/ca/mesh-ca.js';
import { startHttpApi, type ControlPlaneApi } from './http-api.js';
import { ApiAuthError, ApiErrorCode, apiTlsRequiredMessage, generateApiToken, isLoopbackHost, removeApiTokenFile, writeApiTokenFile } from './api-auth.js';
import { issueApiCertificate } from './api-tls.js';
import { formatCredentialIssue, gatewaySecretsFor, mayReadCredentials, type CredentialIssue } from './gateway-secrets.js';
import { authenticateXdsPeer, authorizeXdsNode, formatRefusal } from './xds-authorization.js';
import { ProxyPresence, type DisconnectedProxy } from './proxy-presence.js';
import { isPod } from '../registry/pod-workload.js';

/** Options of a control plane. */
export interface ControlPlaneOptions {
  readonly store: ConfigStoreOptions;
  readonly meshConfig?: MeshConfig;
  readonly host?: string;
  /**
   * Plaintext ADS port (Istio's 15010) for local debugging and proxies without an identity; off
   * unless set (0 = any free port). Streams on it are unauthenticated and never get Secrets. The
   * authenticated xDS port is the CA's (`ca.port`, 15012), as istiod's.
   */
  readonly insecureXdsPort?: number;
  /** `namespace/serviceAccount` of gateways allowed their namespace's credentials; default Istio's ingress gateway's. */
  readonly gatewayServiceAccounts?: readonly string[];
  /** HTTP API port, default 15014; 0 = any free port. */
  readonly httpPort?: number;
  /** Pod addresses (from `weft up`'s allocator); must give a pod the same address every time it is asked. */
  readonly podAddress?: (pod: PodIdentity) => string | undefined;
  /** Endpoint health (e.g. apps not running under `weft up`); call `refresh()` when an answer changes. */
  readonly isHealthy?: (w: Workload) => boolean;
  /** Translation options (gateway port mapping). */
  readonly translate?: TranslateOptions;
  /**
   * The mesh CA (certificate signing and authenticated xDS on 15012, SDS secrets `default`/`ROOTCA`); off when absent.
   * `stateDir` defaults to the store's state directory; the trust domain comes from the mesh config.
   */
  readonly ca?: Omit<MeshCaOptions, 'trustDomain' | 'onIssued'>;
  /** Diagnostics (unusable gateway credentials); default: stderr. */
  readonly log?: (line: string) => void;
  /**
   * The HTTP API's credential: a token generated at every start, written to `tokenFile` (0600, its
   * directory 0700) when given, else held in memory ({@link ControlPlane.apiToken}). Off loopback
   * the API is served over HTTPS with a mesh CA certificate, and refuses to start without the CA.
   */
  readonly api?: { readonly tokenFile?: string; readonly tls?: boolean };
}

/** A running control plane. */
export class ControlPlane {
  readonly store: ConfigStore;
  private snapshot: MeshSnapshot;
  private version = 0;
  /** Per-proxy translations, keyed by the authenticated principal plus the whole node translated ({@link cacheKey}). */
  private readonly cache = new Map<string, { version: string; nodeId: string; resources: ProxyResources }>();
  /** Registry pods by `<name>.<namespace>`, for the snapshot they were indexed from. */
  private pods?: { snapshot: MeshSnapshot; byName: Map<string, Workload> };
  /** Shares outbound translation among proxies of one scope; replaced with every snapshot. */
  private translator?: SharedTranslator;
  /** Built xDS objects reused across snapshots while their inputs are unchanged. */
  private readonly translationCache = new TranslationCache();
  /** Resource Maps shared by the proxies that get the same resource list. */
  private readonly maps = new ResourceMaps();
  private ads?: AdsServer;
  private http?: http.Server;
  private pushes = 0;
  private lastPushMs = 0;
  private meshCa?: MeshCa;
  private readonly token = generateApiToken();
  private apiTls = false;
  private readonly reportedCredentials = new Set<string>();
  /** Proxies that were connected and are not (for `weft proxy-status`). */
  private readonly presence = new ProxyPresence();

  constructor(private readonly options: ControlPlaneOptions) {
    this.store = new ConfigStore(options.store);
    this.snapshot = this.build([]);
  }

  /**
   * Starts the store, ADS (authenticated, on the CA's TLS port; plaintext only when
   * `insecureXdsPort` is set) and the HTTP API. `xdsPort` is the authenticated xDS port (the CA's;
   * undefined without a CA), `insecureXdsPort` the plaintext one when enabled.
   */
  async start(): Promise<{ xdsPort: number | undefined; insecureXdsPort: number | undefined; httpPort: number }> {
    const apiHost = this.options.host ?? '127.0.0.1';
    const apiTls = this.options.api?.tls === true || !isLoopbackHost(apiHost);
    // Refused before anything binds: off loopback the API (and its token) needs TLS, from the mesh CA.
    if (apiTls && !this.options.ca) throw new ApiAuthError(ApiErrorCode.TlsRequired, apiTlsRequiredMessage(apiHost));
    await this.store.start();
    this.snapshot = this.build(this.store.resources());
    this.store.subscribe((resources) => this.update(resources));
    const ads = new AdsServer({
      provider: { resourcesFor: (node) => this.resourcesFor(node) },
      host: this.options.host ?? '127.0.0.1',
      port: this.options.insecureXdsPort,
      // Plaintext: nobody is authenticated, so no Secret is ever sent (see resourcesFor too).
      secrets: false,
      authorize: (node) => ({ node: { ...node, principal: undefined } }),
    });
    this.ads = ads;
    ads.on('disconnect', (node) => {
      const key = cacheKey(node);
      if (key !== undefined && !ads.nodes().some((n) => cacheKey(n) === key)) this.cache.delete(key);
      this.presence.disconnected(node.id, node.cluster ?? '', ads.nodes().some((n) => n.id === node.id));
    });
    ads.on('connect', (node) => this.presence.connected(node.id));
    ads.on('ack', (node, typeUrl, version) => {
      if (typeUrl === TypeUrl.Cluster) this.presence.acked(node.id, version);
    });
    ads.on('refused', (r, _node, peer) => this.log(formatRefusal(r, peer)));
    let insecureXdsPort: number | undefined;
    if (this.options.insecureXdsPort !== undefined) {
      insecureXdsPort = await ads.start();
      this.log(`WARNING: plaintext xDS on ${this.options.host ?? '127.0.0.1'}:${insecureXdsPort} is enabled (for local debugging): its streams are not authenticated; they get no secrets`);
    }
    if (this.options.ca) await this.startCa(this.options.ca);
    // Off loopback (or when asked): HTTPS with a mesh CA certificate.
    const tls = apiTls && this.meshCa ? await issueApiCertificate(this.meshCa.ca, apiHost) : undefined;
    if (this.options.api?.tokenFile) await writeApiTokenFile(this.options.api.tokenFile, this.token);
    this.http = await startHttpApi(this.api(), apiHost, this.options.httpPort ?? 15014, { token: this.token, tls });
    this.apiTls = tls !== undefined;
    const addr = this.http.address();
    return { xdsPort: this.meshCa?.port, insecureXdsPort, httpPort: typeof addr === 'object' && addr ? addr.port : 0 };
  }

  /** Stops everything. */
  async stop(): Promise<void> {
    await this.store.stop();
    // ADS first: it ends the streams of the CA's server too, which then shuts down promptly.
    await this.ads?.stop();
    await this.meshCa?.stop();
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
    this.http?.closeAllConnections?.();
    if (this.options.api?.tokenFile) await removeApiTokenFile(this.options.api.tokenFile, this.token);
  }

  /** The bearer token the HTTP API requires (also in `api.tokenFile` when set). */
  get apiToken(): string {
    return this.token;
  }

  /** `https` when the API is served over TLS (off loopback), else `http`. */
  get apiScheme(): 'http' | 'https' {
    return this.apiTls ? 'https' : 'http';
  }

  /** The mesh CA, when enabled (root certificate, bootstrap tokens, CSR port). */
  get ca(): MeshCa | undefined {
    return this.meshCa;
  }

  /** The current model snapshot. */
  current(): MeshSnapshot {
    return this.snapshot;
  }

  /** Per-proxy xDS sync state (what `weft proxy-status` shows). */
  syncStatus(): ProxySyncStatus[] {
    return this.ads?.status() ?? [];
  }

  /**
   * Proxies that were connected to this control plane and are not now (since this process started;
   * see proxy-presence.ts); a sidecar whose pod is no longer in the registry is left out.
   */
  disconnectedProxies(): DisconnectedProxy[] {
    return this.presence.disconnectedProxies((id) => {
      const [role, , pod] = id.split('~');
      if (role !== 'sidecar' || !pod) return true;
      const dot = pod.indexOf('.');
      return dot < 0 || this.findPod(pod.slice(0, dot), pod.slice(dot + 1)) !== undefined;
    });
  }

  /** Rebuilds the snapshot (e.g. when `weft up` learns a workload's health changed) and pushes. */
  refresh(): void {
    // Something outside the resources (endpoint health) changed: the registry is rebuilt.
    this.update(this.store.resources(), false);
  }

  private update(resources: readonly Resource[], reuseRegistry = true): void {
    const started = performance.now();
    this.snapshot = this.build(resources, reuseRegistry ? this.snapshot : undefined);
    // Per-proxy entries go stale by version; kept so unchanged resource Maps can be reused.
    void this.ads?.schedulePush();
    this.pushes++;
    this.lastPushMs = performance.now() - started;
  }

  /** A snapshot of `resources`; its registry is `previous`'s when the registry's inputs are unchanged. */
  private build(resources: readonly Resource[], previous?: MeshSnapshot): MeshSnapshot {
    this.version++;
    return buildSnapshot({
      resources,
      previous,
      meshConfig: this.options.meshConfig ?? DEFAULT_MESH_CONFIG,
      version: String(this.version),
      registry: { podAddress: this.options.podAddress, isHealthy: this.options.isHealthy },
    });
  }

  private log(line: string): void {
    (this.options.log ?? ((l: string) => process.stderr.write(`weft control: ${l}\n`)))(line);
  }

  /** The registry's pod `<name>.<namespace>` in the current snapshot. */
  private findPod(name: string, namespace: string): Workload | undefined {
    if (this.pods?.snapshot !== this.snapshot) {
      const byName = new Map<string, Workload>();
      for (const w of this.snapshot.registry.workloads) if (isPod(w)) byName.set(`${w.name}.${w.namespace}`, w);
      this.pods = { snapshot: this.snapshot, byName };
    }
    return this.pods.byName.get(`${name}.${namespace}`);
  }

  private resourcesFor(info: NodeInfo): ProxyResources | undefined {
    const node = proxyNodeFrom(info);
    const key = cacheKey(info, node);
    if (!node || key === undefined) return undefined;
    const cached = this.cache.get(key);
    if (cached && cached.version === this.snapshot.version) return cached.resources;
    if (this.translator?.snapshot !== this.snapshot) this.translator = new SharedTranslator(this.snapshot, this.options.translate, this.translationCache);
    const out = this.translator.translate(node);
    const before = cached?.resources;
    const resources: ProxyResources = new Map([
      [TypeUrl.Listener, reuseIfSame(before?.get(TypeUrl.Listener), this.maps.wildcard(out.listeners))],
      [TypeUrl.RouteConfiguration, this.maps.named(out.routes, this.snapshot.version)],
      [TypeUrl.Cluster, reuseIfSame(before?.get(TypeUrl.Cluster), this.maps.wildcard(out.clusters))],
      [TypeUrl.ClusterLoadAssignment, this.maps.named(out.endpoints, this.snapshot.version)],
    ]);
    // Secrets only to an authenticated stream, and only its own (istiod's pilot/pkg/xds/sds.go):
    // `default`/`ROOTCA` for its identity (the node's namespace and service account were checked
    // against the certificate, xds-authorization.ts), gateway credentials its own listeners name.
    const authenticated = info.principal !== undefined;
    const secrets = new Map<string, object>(this.meshCa && authenticated ? this.meshCa.secretsFor(info.id, node.namespace, node.serviceAccount) : []);
    if (authenticated && mayReadCredentials(this.snapshot, node, this.options.gatewayServiceAccounts)) {
      // Gateway credentials (SDS `kubernetes://<credentialName>`), see gateway-secrets.ts.
      for (const [k, v] of gatewaySecretsFor(this.snapshot, node, out.listeners, (i) => this.credentialIssue(i))) secrets.set(k, v);
    }
    if ((this.meshCa && authenticated) || secrets.size > 0) (resources as Map<string, ReadonlyMap<string, object>>).set(TypeUrl.Secret, reuseIfSame(before?.get(TypeUrl.Secret), secrets));
    this.cache.set(key, { version: this.snapshot.version, nodeId: info.id, resources });
    return resources;
  }

  /** Reports each distinct unusable gateway credential once (per snapshot content). */
  private credentialIssue(i: CredentialIssue): void {
    const line = formatCredentialIssue(i);
    if (this.reportedCredentials.has(line)) return;
    if (this.reportedCredentials.size > 1000) this.reportedCredentials.clear();
    this.reportedCredentials.add(line);
    this.log(line);
  }

  private async startCa(opts: Omit<MeshCaOptions, 'trustDomain' | 'onIssued'>): Promise<void> {
    const ca = await MeshCa.load({
      ...opts,
      stateDir: opts.stateDir ?? this.options.store.stateDir,
      host: opts.host ?? this.options.host,
      trustDomain: (this.options.meshConfig ?? DEFAULT_MESH_CONFIG).trustDomain,
      onIssued: (r) => {
        // The proxy's `default` secret changed: re-translate and push that proxy only.
        if (!r.nodeId) return;
        for (const [k, v] of this.cache) if (v.nodeId === r.nodeId) this.cache.delete(k);
        void this.ads?.schedulePush((n) => n.id === r.nodeId);
      },
      // Authenticated xDS on the CA's TLS port (istiod: one gRPC server on 15012 for both).
      serverOptions: AdsServer.GRPC_OPTIONS,
      register: (server) => this.ads?.attach(server, this.secureXdsPolicy()),
    });
    await ca.start();
    this.meshCa = ca;
  }

  /** Access policy of the authenticated xDS port: a verified workload certificate, a node that fits it. */
  private secureXdsPolicy(): AdsAccessPolicy {
    const trustDomain = (this.options.meshConfig ?? DEFAULT_MESH_CONFIG).trustDomain;
    return {
      authenticate: (call) => authenticateXdsPeer(call, trustDomain),
      authorize: (node, principal) =>
        principal === undefined ? { code: grpcStatus.UNAUTHENTICATED, reason: 'no authenticated identity' } : authorizeXdsNode(node, principal, (n, ns) => this.findPod(n, ns)),
      secrets: true,
    };
  }

  private api(): ControlPlaneApi {
    return {
      resources: () => this.store.resources(),
      storeDiagnostics: (): readonly Diagnostic[] => this.store.diagnostics(),
      apply: (texts, dryRun, opts) => this.store.apply(texts, { dryRun, ...opts }),
      delete: (keys, opts) => this.store.delete(keys, opts),
      applyStatus: (id) => this.store.applyStatus(id),
      syncStatus: () => ({ version: this.snapshot.version, proxies: this.ads?.status() ?? [], disconnected: this.disconnectedProxies() }),
      sourceOf: (r) => this.store.sourceOf(r),
      registry: () => ({
        services: this.snapshot.registry.services.map((s) => ({ ...s, exportTo: s.exportTo === '*' ? '*' : [...s.exportTo] })),
        workloads: this.snapshot.registry.workloads,
      }),
      metrics: () =>
        [
          '# HELP weft_config_pushes_total Model snapshots built and pushed.',
          '# TYPE weft_config_pushes_total counter',
          `weft_config_pushes_total ${this.pushes}`,
          '# HELP weft_last_push_milliseconds Time to build the last snapshot and start its push.',
          '# TYPE weft_last_push_milliseconds gauge',
          `weft_last_push_milliseconds ${this.lastPushMs.toFixed(3)}`,
          '# HELP weft_xds_connected_proxies Proxies connected over ADS.',
          '# TYPE weft_xds_connected_proxies gauge',
          `weft_xds_connected_proxies ${this.ads?.connectionCount ?? 0}`,
          '',
        ].join('\n'),
    };
  }
}

/** `prev` when it holds exactly the entries of `next` (same names, same objects, same order), else `next`. */
function reuseIfSame(prev: ReadonlyMap<string, object> | undefined, next: ReadonlyMap<string, object>): ReadonlyMap<string, object> {
  if (prev === next) return prev;
  if (!prev || prev.size !== next.size) return next;
  const it = prev.entries();
  for (const [name, obj] of next) {
    const [pn, po] = it.next().value as [string, object];
    if (pn !== name || po !== obj) return next;
  }
  return prev;
}

/**
 * The translation cache key of a stream's node: its authenticated principal (empty on plaintext)
 * plus every field translation reads (the whole ProxyNode), never the claimed id alone, so a
 * second stream claiming a proxy's id with other metadata cannot change what that proxy is sent.
 */
export function cacheKey(info: NodeInfo, node: ProxyNode | undefined = proxyNodeFrom(info)): string | undefined {
  if (!node) return undefined;
  return `${info.principal ?? ''}\n${JSON.stringify(node)}`;
}

/**
 * Builds a ProxyNode from an xDS node: Istio-style id plus metadata keys `LABELS`, `NAMESPACE`,
 * `SERVICE_ACCOUNT`, `APP_ADDRESS` (Weft's proxies send these, as Istio's agent sends ISTIO_META_*).
 */
export function proxyNodeFrom(info: NodeInfo): ProxyNode | undefined {
  if (!info.type || !info.ip || !info.podName) return undefined;
  const md = info.metadata;
  const labels = typeof md.LABELS === 'object' && md.LABELS && !Array.isArray(md.LABELS) ? (md.LABELS as Record<string, string>) : {};
  return {
    id: info.id,
    role: info.type,
    ip: info.ip,
    podName: info.podName,
    namespace: typeof md.NAMESPACE === 'string' ? md.NAMESPACE : info.namespace ?? 'default',
    labels,
    serviceAccount: typeof md.SERVICE_ACCOUNT === 'string' ? md.SERVICE_ACCOUNT : 'default',
    appAddress: typeof md.APP_ADDRESS === 'string' ? md.APP_ADDRESS : undefined,
    // istiod's setTopologyLabels: the locality its labels say, else the node's own `locality`.
    locality: localityFromLabels(labels) || info.locality || undefined,
  };
}
