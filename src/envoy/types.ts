/**
 * Typed views of the Envoy v3 xDS resources Weft produces and interprets, in protobufjs' object
 * form as fixed by `src/xds/protos.ts`. The rules of that form (optional fields, omitted defaults,
 * `{value}` wrappers, enum names, the `{fields: …}` Struct shape) are documented in
 * `types/core.ts`; everything is re-exported from here.
 */
export * from './types/core.js';
export type * from './types/route.js';
export type * from './types/listener.js';
export type * from './types/cluster.js';
export type * from './types/endpoint.js';
export type * from './types/tls.js';
export * from './types/istio-stats.js';
