/**
 * VirtualService (networking.istio.io v1alpha3, v1beta1, v1): Istio's strict schema for every field,
 * the mapping of deprecated fields to their replacements, and the KindInfo the loader uses. The
 * webhook's semantic rules live in `virtual-service-checks.ts`.
 */
import { z } from 'zod';
import { defineKind, int, labels, percent, uint, type IssueSink } from './common.js';
import {
  destination,
  durationString,
  NETWORKING_VERSIONS,
  optInt,
  optUint,
  stringMatch,
  warnDeprecated,
} from './networking-common.js';
import { checkVirtualService } from './virtual-service-checks.js';

/** StringMatch, PortSelector and Destination are shared with other kinds; re-exported for VirtualService users. */
export type { StringMatch, PortSelector, Destination } from './networking-common.js';

const stringMap = z.record(z.string(), z.string());

/** Istio's HeaderOperations: headers to set, append, or remove. */
export const headerOperations = z.strictObject({
  set: stringMap.optional(),
  add: stringMap.optional(),
  remove: z.array(z.string()).optional(),
});
/** Header changes for one direction of a request. */
export type HeaderOperations = z.infer<typeof headerOperations>;

/** Istio's Headers: operations on the request and on the response. */
export const headers = z.strictObject({
  request: headerOperations.optional(),
  response: headerOperations.optional(),
});
/** Header manipulation rules of a route or destination. */
export type Headers = z.infer<typeof headers>;

/** Istio's HTTPMatchRequest: conditions ANDed within one match block. */
export const httpMatchRequest = z.strictObject({
  name: z.string().optional(),
  uri: stringMatch.optional(),
  scheme: stringMatch.optional(),
  method: stringMatch.optional(),
  authority: stringMatch.optional(),
  headers: z.record(z.string(), stringMatch).optional(),
  port: optUint,
  sourceLabels: labels.optional(),
  gateways: z.array(z.string()).optional(),
  queryParams: z.record(z.string(), stringMatch).optional(),
  ignoreUriCase: z.boolean().optional(),
  withoutHeaders: z.record(z.string(), stringMatch).optional(),
  sourceNamespace: z.string().optional(),
  statPrefix: z.string().optional(),
});
/** One HTTP match block. */
export type HTTPMatchRequest = z.infer<typeof httpMatchRequest>;

/** Istio's HTTPRouteDestination: a weighted destination with its own header operations. */
export const httpRouteDestination = z.strictObject({
  destination,
  weight: optInt,
  headers: headers.optional(),
});
/** A weighted HTTP destination. */
export type HTTPRouteDestination = z.infer<typeof httpRouteDestination>;

/** Istio's RouteDestination: a weighted destination for TCP and TLS routes. */
export const routeDestination = z.strictObject({ destination, weight: optInt });
/** A weighted L4 destination. */
export type RouteDestination = z.infer<typeof routeDestination>;

/** Istio's HTTPRedirect: a 3xx reply built from the request. */
export const httpRedirect = z.strictObject({
  uri: z.string().optional(),
  /** Istio 1.28+: replaces the matched URI prefix in the Location path (exclusive with `uri`). */
  prefixRewrite: z.string().optional(),
  authority: z.string().optional(),
  port: optUint,
  derivePort: z.enum(['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT']).optional(),
  scheme: z.string().optional(),
  redirectCode: optUint,
});
/** A redirect action. */
export type HTTPRedirect = z.infer<typeof httpRedirect>;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'bytes must be base64-encoded');

/** Istio's HTTPBody: the body of a direct response, as text or base64 bytes. */
export const httpBody = z.strictObject({ string: z.string().optional(), bytes: base64.optional() });
/** A direct response body. */
export type HTTPBody = z.infer<typeof httpBody>;

/** Istio's HTTPDirectResponse: a fixed reply. */
export const httpDirectResponse = z.strictObject({ status: uint, body: httpBody.optional() });
/** A direct-response action. */
export type HTTPDirectResponse = z.infer<typeof httpDirectResponse>;

/** Istio's RegexRewrite: RE2 `match` replaced by `rewrite` (with `\1` group references). */
export const regexRewrite = z.strictObject({ match: z.string().optional(), rewrite: z.string().optional() });
/** A regex URI rewrite. */
export type RegexRewrite = z.infer<typeof regexRewrite>;

/** Istio's HTTPRewrite: rewrite of the path (prefix or regex) and/or authority before forwarding. */
export const httpRewrite = z.strictObject({
  uri: z.string().optional(),
  authority: z.string().optional(),
  uriRegexRewrite: regexRewrite.optional(),
});
/** A rewrite action. */
export type HTTPRewrite = z.infer<typeof httpRewrite>;

/** Istio's HTTPRetry. */
export const httpRetry = z.strictObject({
  attempts: optInt,
  perTryTimeout: durationString.optional(),
  retryOn: z.string().optional(),
  retryRemoteLocalities: z.boolean().optional(),
  retryIgnorePreviousHosts: z.boolean().optional(),
  backoff: durationString.optional(),
});
/** A retry policy. */
export type HTTPRetry = z.infer<typeof httpRetry>;

/** Istio's CorsPolicy (`allowOrigin` is deprecated and mapped to `allowOrigins`). */
export const corsPolicy = z.strictObject({
  allowOrigin: z.array(z.string()).optional(),
  allowOrigins: z.array(stringMatch).optional(),
  allowMethods: z.array(z.string()).optional(),
  allowHeaders: z.array(z.string()).optional(),
  exposeHeaders: z.array(z.string()).optional(),
  maxAge: durationString.optional(),
  allowCredentials: z.boolean().optional(),
  unmatchedPreflights: z.enum(['UNSPECIFIED', 'FORWARD', 'IGNORE']).optional(),
});
/** A CORS policy. */
export type CorsPolicy = z.infer<typeof corsPolicy>;

/** Istio's HTTPFaultInjection.Delay (`percent` is deprecated and mapped to `percentage`). */
export const faultDelay = z.strictObject({
  percent: int.min(0, 'percent must be in 0-100').max(100, 'percent must be in 0-100').optional(),
  fixedDelay: durationString.optional(),
  exponentialDelay: durationString.optional(),
  percentage: percent.optional(),
});

/** Istio's HTTPFaultInjection.Abort. */
export const faultAbort = z.strictObject({
  httpStatus: optInt,
  grpcStatus: z.string().optional(),
  http2Error: z.string().optional(),
  percentage: percent.optional(),
});

/** Istio's HTTPFaultInjection: delays and aborts injected on the client side. */
export const httpFaultInjection = z.strictObject({ delay: faultDelay.optional(), abort: faultAbort.optional() });
/** A fault-injection policy. */
export type HTTPFaultInjection = z.infer<typeof httpFaultInjection>;

/** Istio's HTTPMirrorPolicy: one of several mirror targets, each with its own percentage. */
export const httpMirrorPolicy = z.strictObject({ destination: destination.optional(), percentage: percent.optional() });
/** A mirror target. */
export type HTTPMirrorPolicy = z.infer<typeof httpMirrorPolicy>;

/** Istio's Delegate: the VirtualService an HTTP route hands matching requests to. */
export const delegate = z.strictObject({ name: z.string().optional(), namespace: z.string().optional() });
/** A delegation target. */
export type Delegate = z.infer<typeof delegate>;

const mirrorPercentValue = uint.max(100, 'mirror_percent must have a max value of 100');

/** Istio's HTTPRoute (`mirrorPercent`/`mirror_percent` deprecated, mapped to `mirrorPercentage`). */
export const httpRoute = z.strictObject({
  name: z.string().optional(),
  match: z.array(httpMatchRequest).optional(),
  route: z.array(httpRouteDestination).optional(),
  redirect: httpRedirect.optional(),
  directResponse: httpDirectResponse.optional(),
  delegate: delegate.optional(),
  rewrite: httpRewrite.optional(),
  timeout: durationString.optional(),
  retries: httpRetry.optional(),
  fault: httpFaultInjection.optional(),
  mirror: destination.optional(),
  mirrors: z.array(httpMirrorPolicy).optional(),
  mirrorPercent: mirrorPercentValue.optional(),
  mirror_percent: mirrorPercentValue.optional(),
  mirrorPercentage: percent.optional(),
  corsPolicy: corsPolicy.optional(),
  headers: headers.optional(),
});
/** One HTTP routing rule. */
export type HTTPRoute = z.infer<typeof httpRoute>;

/** Istio's L4MatchAttributes: conditions of a TCP route. */
export const l4MatchAttributes = z.strictObject({
  destinationSubnets: z.array(z.string()).optional(),
  port: optUint,
  sourceSubnet: z.string().optional(),
  sourceLabels: labels.optional(),
  gateways: z.array(z.string()).optional(),
  sourceNamespace: z.string().optional(),
});
/** One TCP match block. */
export type L4MatchAttributes = z.infer<typeof l4MatchAttributes>;

/** Istio's TLSMatchAttributes: conditions of a TLS (SNI) route. */
export const tlsMatchAttributes = z.strictObject({
  sniHosts: z.array(z.string()).optional(),
  destinationSubnets: z.array(z.string()).optional(),
  port: optUint,
  sourceLabels: labels.optional(),
  gateways: z.array(z.string()).optional(),
  sourceNamespace: z.string().optional(),
});
/** One TLS match block. */
export type TLSMatchAttributes = z.infer<typeof tlsMatchAttributes>;

/** Istio's TCPRoute. */
export const tcpRoute = z.strictObject({ match: z.array(l4MatchAttributes).optional(), route: z.array(routeDestination).optional() });
/** One opaque-TCP routing rule. */
export type TCPRoute = z.infer<typeof tcpRoute>;

/** Istio's TLSRoute. */
export const tlsRoute = z.strictObject({ match: z.array(tlsMatchAttributes).optional(), route: z.array(routeDestination).optional() });
/** One SNI routing rule. */
export type TLSRoute = z.infer<typeof tlsRoute>;

/** Istio's VirtualService spec. */
export const virtualServiceSpec = z.strictObject({
  hosts: z.array(z.string()).optional(),
  gateways: z.array(z.string()).optional(),
  http: z.array(httpRoute).optional(),
  tls: z.array(tlsRoute).optional(),
  tcp: z.array(tcpRoute).optional(),
  exportTo: z.array(z.string()).optional(),
});
/** A VirtualService's content (after normalization the deprecated fields are gone). */
export type VirtualServiceSpec = z.infer<typeof virtualServiceSpec>;

/**
 * Maps deprecated fields: `fault.delay.percent` → `percentage.value`, `mirrorPercent`/`mirror_percent`
 * → `mirrorPercentage.value`, `corsPolicy.allowOrigin` → exact `allowOrigins`. As in Istio's
 * translation, the new field wins when both are present. Works on a copy.
 */
export function normalizeVirtualService(spec: VirtualServiceSpec, sink: IssueSink): VirtualServiceSpec {
  const out = structuredClone(spec);
  out.http?.forEach((route, i) => {
    const delay = route.fault?.delay;
    if (delay && delay.percent !== undefined) {
      warnDeprecated(sink, ['http', i, 'fault', 'delay', 'percent'], 'percentage');
      delay.percentage ??= { value: delay.percent };
      delete delay.percent;
    }
    for (const key of ['mirrorPercent', 'mirror_percent'] as const) {
      const value = route[key];
      if (value === undefined) continue;
      warnDeprecated(sink, ['http', i, key], 'mirrorPercentage');
      route.mirrorPercentage ??= { value };
      delete route[key];
    }
    const cors = route.corsPolicy;
    if (cors && cors.allowOrigin !== undefined) {
      warnDeprecated(sink, ['http', i, 'corsPolicy', 'allowOrigin'], 'allowOrigins');
      cors.allowOrigins ??= cors.allowOrigin.map((exact) => ({ exact }));
      delete cors.allowOrigin;
    }
  });
  return out;
}

/** The VirtualService kind: schema, normalization and Istio's webhook checks. */
export const virtualServiceKind = defineKind<VirtualServiceSpec>({
  kind: 'VirtualService',
  group: 'networking.istio.io',
  versions: NETWORKING_VERSIONS,
  plural: 'virtualservices',
  namespaced: true,
  schema: virtualServiceSpec,
  normalize: normalizeVirtualService,
  check: checkVirtualService,
});
