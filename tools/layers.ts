/**
 * The layer order of `src/`: the one place that says which top-level folder may import which.
 *
 * Data flows one way (README "How the code is laid out"): config → registry → model → translate → xDS →
 * proxy, with the commands on top. A file may import from its own folder or from a folder in a strictly
 * LOWER layer; folders in the same layer do not import each other. `tools/check-layers.ts` enforces
 * this on every production file of `src/` (test code, `*.test.ts` and `testing/` folders as
 * `tools/test-code.ts` defines it, is exempt: like the end-to-end tests it wires layers together on purpose) and fails on any cycle between folders.
 *
 * A new top-level folder must be added here, or the check fails naming it.
 */

/** The layers, lowest first; each is the set of top-level folders of `src/` that sit at that height. */
export const LAYERS: readonly (readonly string[])[] = [
  // Shared helpers with no knowledge of the mesh: coded errors, durable files, text tables.
  ['util'],
  // The CEL subset (access-log filters, metric tag expressions): a language, no mesh knowledge.
  ['cel'],
  // Vocabularies: Istio's YAML as loaded and validated; Envoy's resource types and their protobuf `Any` helpers.
  ['config', 'envoy'],
  // Services and workloads built from the config; certificates and workload identities.
  ['registry', 'security'],
  // The immutable snapshot (config + registry + mesh config) that translation reads.
  ['model'],
  // Pure translation: snapshot + proxy identity → Envoy resources.
  ['translate'],
  // What consumes translated resources: xDS transport, the request simulator, `weft analyze`.
  ['xds', 'simulate', 'analyze'],
  // Running programs and their engines: the proxy, the control plane, `weft explain`, `weft load`.
  ['proxy', 'control', 'explain', 'load'],
  // `weft up`: runs a control plane and proxies.
  ['up'],
  // The `weft` command: every subcommand.
  ['cli'],
];

/**
 * The layers inside `src/proxy/`, lowest first: each the set of its subfolders at that height. A
 * proxy file may import from its own subfolder or from a subfolder in a strictly LOWER layer (and
 * from outside `src/proxy/` as `LAYERS` allows); the files directly in `src/proxy/` (the wiring:
 * `proxy.ts`, the admin server, the listener manager, the control-plane connection) are the top
 * layer and may import every subfolder. `tools/check-layers.ts` fails on an import against this
 * order, on a cycle between subfolders, and on a subfolder not placed here. The README's layout
 * section says what each layer holds.
 */
export const PROXY_LAYERS: readonly (readonly string[])[] = [
  // Leaf contracts (downstream, filter API, stream info, local replies), stats store, load balancers.
  ['http', 'stats', 'lb'],
  // Transport TLS: certificates, secret store, connectors, peer identity and verification.
  ['tls'],
  // The HTTP/1.1 codec, its pool and calls.
  ['h1'],
  // HTTP/2 (downstream on node:http2, the upstream session pool) and gRPC local replies.
  ['h2', 'grpc'],
  // Clusters and their hosts: cluster manager, admission, health checks, outlier detection, dialing.
  ['upstream'],
  // HTTP filters and access logs: they see a stream only through http/'s contracts.
  ['access-log', 'filters'],
  // Tracing and the per-request Istio metrics (they read access-log entries).
  ['tracing', 'telemetry'],
  // The HTTP connection manager and router: stream, filter chain factory, attempts, retries, mirrors.
  ['hcm'],
  // Listeners compiled per push, the runtime snapshot, HTTP servers and TLS/TCP dispatch plans.
  ['listener'],
  // The TCP proxy, protocol sniffing and CONNECT tunnels on the listeners' ports.
  ['tcp'],
];

/** An import allowed against the order above; each must say why. */
export interface LayerException {
  /** Importing file, relative to `src/` (e.g. `up/mesh.ts`). */
  readonly from: string;
  /** Imported file, relative to `src/` (e.g. `cli/errors.ts`). */
  readonly to: string;
  /** Why this import cannot follow the order yet. */
  readonly reason: string;
}

/** Imports allowed against the order, each with its reason; the check fails on one that matches no import. */
export const LAYER_EXCEPTIONS: readonly LayerException[] = [
  {
    from: 'translate/security/ext-authz-provider.ts',
    to: 'xds/protos.ts',
    reason:
      "statusCodeName reads Envoy's envoy.type.v3.StatusCode enum from the loaded protos rather than keep a copy; " +
      'goes when the proto loader moves beside the Envoy types (issue 13, one source for Envoy semantics)',
  },
];
