/**
 * VirtualService field support (istio.io/api networking/v1 virtual_service.proto). Translation is
 * `src/translate/route/*`; the proxy applies routes through `src/envoy/route-table.ts` and `src/proxy/`.
 */
import { T } from '../tests.js';
import { each, enforced, enforcedUntested, refused, unsupported, under, type FieldTable } from '../types.js';

const MC = T.matchConditions;

function stringMatch(prefix: string, test: string, name: string): Record<string, ReturnType<typeof enforced>> {
  return each([`${prefix}.exact`, `${prefix}.prefix`, `${prefix}.regex`], enforced(test, name));
}

function headerOps(prefix: string): FieldTable {
  return each(
    ['request.add', 'request.remove', 'request.set', 'response.add', 'response.remove', 'response.set'].map((p) => `${prefix}.${p}`),
    enforced(MC, 'header operations at route and destination level'),
  );
}

function destination(prefix: string): FieldTable {
  return {
    [`${prefix}.host`]: enforced(T.sidecarE2e, 'weighted split 50/50 stays within 3 sigma over 400 requests'),
    [`${prefix}.subset`]: enforced(T.sidecarE2e, 'routes by header: end-user jason always reaches v2'),
    [`${prefix}.port.number`]: enforced(T.simGateway, 'proxies to the VirtualService tcp route bound to the Gateway, matched on the server port'),
  };
}

const l4Match: FieldTable = {
  'gateways': enforced(T.simGateway, 'a sidecar does not get gateway-bound VirtualServices'),
  'port': enforced(T.simGateway, 'proxies to the VirtualService tcp route bound to the Gateway, matched on the server port'),
  'sourceLabels': enforcedUntested('source labels select the sidecars the rule applies to, as for HTTP matches'),
  'sourceNamespace': enforcedUntested('selects the sidecars of that namespace, as for HTTP matches'),
  'destinationSubnets': enforced(T.destinationSubnets, 'VirtualService tcp destinationSubnets: only destinations in the subnet take the rule'),
};

/** Every VirtualService field Weft accepts, with what it does. */
export const virtualServiceFields: FieldTable = {
  'spec.hosts': enforced(T.sidecarE2e, 'routes by header: end-user jason always reaches v2'),
  'spec.gateways': enforced(T.simGateway, 'a sidecar does not get gateway-bound VirtualServices'),
  'spec.exportTo': enforcedUntested('visibility of the VirtualService to other namespaces, as istiod'),

  'spec.http[].name': enforcedUntested('route name in the route configuration and access logs'),
  ...stringMatch('spec.http[].match[].uri', MC, 'uri exact / prefix (ignoreUriCase) / regex (full match)'),
  ...stringMatch('spec.http[].match[].method', MC, 'method, authority, scheme'),
  ...stringMatch('spec.http[].match[].authority', MC, 'method, authority, scheme'),
  ...stringMatch('spec.http[].match[].scheme', MC, 'method, authority, scheme'),
  ...stringMatch('spec.http[].match[].headers{}', MC, 'headers: empty value means presence; regex; query params; withoutHeaders'),
  ...stringMatch('spec.http[].match[].queryParams{}', MC, 'headers: empty value means presence; regex; query params; withoutHeaders'),
  ...stringMatch('spec.http[].match[].withoutHeaders{}', MC, 'headers: empty value means presence; regex; query params; withoutHeaders'),
  'spec.http[].match[].ignoreUriCase': enforced(MC, 'uri exact / prefix (ignoreUriCase) / regex (full match)'),
  'spec.http[].match[].name': enforcedUntested('match name, appended to the route name as istiod does'),
  'spec.http[].match[].port': enforced(T.simFieldSupport, 'match.port: a block for another port never matches'),
  'spec.http[].match[].sourceLabels': enforced(MC, 'sourceLabels matches the productpage sidecar only'),
  'spec.http[].match[].sourceNamespace': enforced(MC, 'sourceNamespace matches proxies of that namespace'),
  'spec.http[].match[].gateways': enforced(T.simGateway, 'a sidecar does not get gateway-bound VirtualServices'),
  'spec.http[].match[].statPrefix': enforced(T.routeStats, 'per-route statPrefix: vhost.<vhost>.route.<prefix>.upstream_rq_total/_completed/_<code>/_<class>xx/upstream_rq_time on /stats and /stats/prometheus'),

  ...destination('spec.http[].route[].destination'),
  'spec.http[].route[].weight': enforced(T.sidecarE2e, 'weighted split 50/50 stays within 3 sigma over 400 requests'),
  ...headerOps('spec.http[].route[].headers'),
  ...headerOps('spec.http[].headers'),

  'spec.http[].redirect.uri': enforced(MC, 'redirect with authority, uri, code and derived port'),
  'spec.http[].redirect.prefixRewrite': enforced(T.routeSemantics, 'redirect.prefixRewrite replaces the matched prefix in the Location, keeping the rest and the query'),
  'spec.http[].redirect.authority': enforced(MC, 'redirect with authority, uri, code and derived port'),
  'spec.http[].redirect.port': enforced(T.simFieldSupport, 'redirect.port and redirect.scheme set the Location header'),
  'spec.http[].redirect.derivePort': enforced(MC, 'redirect with authority, uri, code and derived port'),
  'spec.http[].redirect.scheme': enforced(T.simFieldSupport, 'redirect.port and redirect.scheme set the Location header'),
  'spec.http[].redirect.redirectCode': enforced(MC, 'redirect with authority, uri, code and derived port'),
  'spec.http[].directResponse.status': enforced(MC, 'directResponse with a body'),
  'spec.http[].directResponse.body.string': enforced(MC, 'directResponse with a body'),
  'spec.http[].directResponse.body.bytes': enforced(T.simFieldSupport, 'directResponse.body.bytes is sent decoded'),
  'spec.http[].delegate.name': enforced(T.gatewaySemantics, 'delegate: /productpage and /reviews are routed by the delegate VirtualServices, merged under the root prefixes'),
  'spec.http[].delegate.namespace': enforced(T.gatewaySemantics, 'delegate: /productpage and /reviews are routed by the delegate VirtualServices, merged under the root prefixes'),
  'spec.http[].rewrite.uri': enforced(MC, 'rewrite: uri prefix, regex, authority'),
  'spec.http[].rewrite.authority': enforced(MC, 'rewrite: uri prefix, regex, authority'),
  'spec.http[].rewrite.uriRegexRewrite.match': enforced(MC, 'rewrite: uri prefix, regex, authority'),
  'spec.http[].rewrite.uriRegexRewrite.rewrite': enforced(MC, 'rewrite: uri prefix, regex, authority'),
  'spec.http[].timeout': enforced(T.outlierFailures, 'upstream hang under a route timeout: 504 UT'),
  'spec.http[].retries.attempts': enforced(T.retries, 'retryOn 5xx with attempts 3: x-envoy-attempt-count 1, 2, 3 upstream'),
  'spec.http[].retries.retryOn': enforced(T.retries, 'a reset is not retried under retryOn 503 (503 UC) but is under reset'),
  'spec.http[].retries.perTryTimeout': enforced(T.retries, 'perTryTimeout cuts a hung attempt and the retry succeeds'),
  'spec.http[].retries.backoff': enforced(T.bookinfoRouting, 'retries: attempts, perTryTimeout, retryOn codes, attempts 0 disables'),
  'spec.http[].retries.retryIgnorePreviousHosts': enforced(T.simFieldSupport, 'retries.retryIgnorePreviousHosts: false drops the previous-hosts predicate Istio adds by default'),
  'spec.http[].retries.retryRemoteLocalities': enforced(T.retryRemoteLocalities, 'retryRemoteLocalities true: after two attempts in the local zone the retry goes to the other locality'),
  'spec.http[].fault.delay.fixedDelay': enforced(T.faultsMirror, 'delay fault: the response waits at least the delay and is flagged DI'),
  'spec.http[].fault.delay.percentage.value': enforced(T.faultsMirror, 'a fault with 0 % never fires'),
  'spec.http[].fault.delay.percent': enforced(T.bookinfoRouting, 'the deprecated delay.percent still works and an unset percentage injects nothing', 'deprecated; mapped to percentage'),
  'spec.http[].fault.delay.exponentialDelay': refused('Istio refuses it too: "exponentialDelay not supported yet"'),
  'spec.http[].fault.abort.httpStatus': enforced(T.faultsMirror, 'abort fault: status and body, flagged FI, upstream never reached'),
  'spec.http[].fault.abort.grpcStatus': enforced(T.faultsMirror, 'gRPC abort fault: HTTP 200 with grpc-status for gRPC requests'),
  'spec.http[].fault.abort.http2Error': refused('Istio refuses it too: "HTTP/2 abort fault injection not supported yet"'),
  'spec.http[].fault.abort.percentage.value': enforced(T.faultsMirror, 'a fault with 0 % never fires'),
  ...destination('spec.http[].mirror'),
  'spec.http[].mirrorPercentage.value': enforced(MC, 'mirror to v2: 100 % when mirrorPercentage is absent, else as given'),
  'spec.http[].mirrorPercent': enforced(T.simFieldSupport, 'deprecated mirrorPercent and mirror_percent become mirrorPercentage'),
  'spec.http[].mirror_percent': enforced(T.simFieldSupport, 'deprecated mirrorPercent and mirror_percent become mirrorPercentage'),
  ...destination('spec.http[].mirrors[].destination'),
  'spec.http[].mirrors[].percentage.value': enforced(MC, 'mirror to v2: 100 % when mirrorPercentage is absent, else as given'),
  ...each(
    [
      'spec.http[].corsPolicy.allowOrigin', 'spec.http[].corsPolicy.allowOrigins[].exact', 'spec.http[].corsPolicy.allowOrigins[].prefix',
      'spec.http[].corsPolicy.allowOrigins[].regex', 'spec.http[].corsPolicy.allowMethods', 'spec.http[].corsPolicy.allowHeaders',
      'spec.http[].corsPolicy.maxAge', 'spec.http[].corsPolicy.allowCredentials',
    ],
    enforced(T.cors, 'a preflight from an allowed origin (exact, prefix, regex) is answered by the proxy'),
  ),
  'spec.http[].corsPolicy.exposeHeaders': enforced(T.cors, "simple requests: Allow-Origin, -Credentials and -Expose-Headers on the app's response for an allowed origin only"),
  'spec.http[].corsPolicy.unmatchedPreflights': enforced(T.cors, 'unmatchedPreflights IGNORE: a non-matching preflight is answered by the proxy without Access-Control-Allow-Origin'),

  ...under('spec.tcp[].match[]', l4Match),
  'spec.tcp[].match[].sourceSubnet': unsupported('sourceSubnet is not matched: istiod does not act on it in sidecar listeners either (the field is hidden from Istio\'s docs); the rule applies to connections from every source'),
  ...destination('spec.tcp[].route[].destination'),
  'spec.tcp[].route[].weight': enforced(T.tcp, 'gateway TCP server: 80/20 weighted split within 3 sigma over 200 connections'),

  ...under('spec.tls[].match[]', l4Match),
  'spec.tls[].match[].sniHosts': enforced(T.simGateway, 'routes by SNI with the VirtualService tls rules'),
  'spec.tls[].match[].destinationSubnets': enforcedUntested('the SNI chain of the match block matches its subnets instead of the service address (istiod buildSidecarOutboundTLSFilterChainOpts), as tcp destinationSubnets'),
  ...destination('spec.tls[].route[].destination'),
  'spec.tls[].route[].weight': enforcedUntested('weighted clusters of the TLS route, as for TCP'),
};
