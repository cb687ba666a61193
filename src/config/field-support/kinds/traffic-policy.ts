/**
 * Field support of Istio's ConnectionPoolSettings and TrafficPolicy messages, shared by DestinationRule
 * (top level, port-level settings, subsets) and Sidecar (`inboundConnectionPool`, `ingress[].connectionPool`).
 * Translation: `src/translate/cluster/apply-*.ts`; enforcement: `src/proxy/upstream/cluster-manager.ts`, `circuit-breaker.ts`, `lb/`.
 */
import { T } from '../tests.js';
import { each, enforced, enforcedUntested, unsupported, under, type FieldTable } from '../types.js';

const OC = T.outboundClusters;
const OUTLIER = 'outlier detection: unset fields stay unset (Envoy defaults), gateway errors and local-origin errors map as istiod';
const LB = 'load balancer: simple policies, consistent hash by header (ring hash 1024), maglev, hash policy for routes';
const WARMUP = 'slow start: a new endpoint under steady load gets a share rising over the warmup window (ROUND_ROBIN with warmup, LEAST_REQUEST with warmupDurationSecs)';
const KEEPALIVE = 'Node.js has no API for the TCP keepalive probe count or interval: whenever keepalive is on, its libuv sets TCP_KEEPINTVL 1 s and TCP_KEEPCNT 10 (seen with strace on Node 20.20), so probes and interval stay 10 every 1 s instead of the configured values';
const LOCALITY_E2E = 'locality failover: traffic stays in the caller zone, fails over to the next zone when it is ejected, and comes back, under load with 0 failed requests; distribute weights hold';
const ZONE_AWARE_E2E = 'zoneAwareLbSetting: the caller zone has fewer endpoints than its share, so Envoy keeps 50 % local and spills the rest (a plain pick gives 25 %)';
const ZONE_AWARE_NOTE = "Envoy's zone-aware routing at the caller region's priority; the caller's own distribution (Envoy's local_cluster, ISTIO_META_ENABLE_SELF_DISCOVERY in Istio) is always known: the instances of the caller's workload (same namespace and canonical name) per locality";
const ZONE_AWARE_FAILOVER_PRIORITY = 'zone-aware load balancing partitions endpoints by region only: the label tiers of failoverPriority are not applied under zoneAwareLbSetting yet (issue 12)';

/** ConnectionPoolSettings, as a DestinationRule applies it to outbound clusters. */
export const connectionPoolFields: FieldTable = {
  'tcp.maxConnections': enforced(T.httpbinTasks, 'circuit breaking: 3 connections against maxConnections 1 / 1 pending → some 503 UO, counted as pending overflow'),
  'tcp.connectTimeout': enforced(OC, 'httpbin circuit breaker: maxConnections 1, http1MaxPendingRequests 1, maxRequestsPerConnection 1, outlier detection'),
  'tcp.idleTimeout': enforced(T.connPolicy, 'TCP proxy: DestinationRule tcp.idleTimeout closes an idle proxied connection', 'TCP proxies (tcp_proxy idleTimeout) and upstream HTTP connections unless http.idleTimeout is set'),
  'tcp.maxConnectionDuration': enforced(T.connPolicy, 'HTTP: maxConnectionDuration drains the upstream connection (the request in flight completes, the next one reconnects)', 'HTTP connections drain; TCP proxies close the connection (max_downstream_connection_duration)'),
  'tcp.tcpKeepalive.time': enforced(OC, OUTLIER),
  'tcp.tcpKeepalive.probes': unsupported(KEEPALIVE),
  'tcp.tcpKeepalive.interval': unsupported(KEEPALIVE),
  'http.http1MaxPendingRequests': enforced(T.httpbinTasks, 'circuit breaking: 3 connections against maxConnections 1 / 1 pending → some 503 UO, counted as pending overflow'),
  'http.http2MaxRequests': enforced(OC, OUTLIER),
  'http.maxRequestsPerConnection': enforced(T.h1Upstream, 'maxRequestsPerConnection: 2 requests per upstream connection'),
  'http.maxRetries': enforced(OC, OUTLIER),
  'http.idleTimeout': enforced(OC, OUTLIER),
  'http.h2UpgradePolicy': enforced(T.connectionPoolFields, 'h2UpgradePolicy UPGRADE makes an HTTP/1.1 port speak HTTP/2 upstream; DO_NOT_UPGRADE does not'),
  'http.useClientProtocol': enforced(OC, 'HTTP/2 and gRPC ports speak HTTP/2 upstream; ports of unknown protocol use the downstream protocol'),
  'http.maxConcurrentStreams': enforced(T.connectionPoolFields, 'maxConcurrentStreams limits streams per upstream connection of an HTTP/2 (gRPC) port'),
  'http.http2KeepAlive.interval': enforced(T.h2Keepalive, 'http2KeepAlive: the sidecar PINGs its upstream HTTP/2 connection every interval', 'upstream HTTP/2 connections only (HTTP/1.1 has no PING)'),
  'http.http2KeepAlive.timeout': enforced(T.h2Keepalive, 'http2KeepAlive: an unanswered PING closes the upstream connection within the timeout; the next request reconnects'),
};

/** LoadBalancerSettings, OutlierDetection, ClientTLSSettings, … of one TrafficPolicy (without portLevelSettings). */
const policyBody: FieldTable = {
  ...under('connectionPool', connectionPoolFields),
  'loadBalancer.simple': enforced(OC, LB),
  'loadBalancer.consistentHash.httpHeaderName': enforced(OC, LB),
  'loadBalancer.consistentHash.httpQueryParameterName': enforced(OC, LB),
  'loadBalancer.consistentHash.useSourceIp': enforced(T.connPolicy, 'TCP proxy: consistentHash.useSourceIp keeps each client address on one endpoint'),
  'loadBalancer.consistentHash.httpCookie.name': enforced(T.connPolicy, 'consistentHash.httpCookie.attributes are added to the generated Set-Cookie'),
  'loadBalancer.consistentHash.httpCookie.path': enforced(T.connPolicy, 'consistentHash.httpCookie.attributes are added to the generated Set-Cookie'),
  'loadBalancer.consistentHash.httpCookie.ttl': enforced(T.connPolicy, 'consistentHash.httpCookie.attributes are added to the generated Set-Cookie'),
  'loadBalancer.consistentHash.httpCookie.attributes[].name': enforced(T.connPolicy, 'consistentHash.httpCookie.attributes are added to the generated Set-Cookie'),
  'loadBalancer.consistentHash.httpCookie.attributes[].value': enforced(T.connPolicy, 'consistentHash.httpCookie.attributes are added to the generated Set-Cookie'),
  'loadBalancer.consistentHash.minimumRingSize': enforced(OC, LB),
  'loadBalancer.consistentHash.ringHash.minimumRingSize': enforced(OC, LB),
  'loadBalancer.consistentHash.maglev.tableSize': enforced(OC, LB),
  'loadBalancer.localityLbSetting.enabled': enforced(T.localityLb, 'failover (mesh default enabled): priorities by region/zone/subzone distance, only with outlier detection'),
  'loadBalancer.localityLbSetting.distribute[].from': enforced(T.locality, LOCALITY_E2E),
  'loadBalancer.localityLbSetting.distribute[].to': enforced(T.locality, LOCALITY_E2E),
  'loadBalancer.localityLbSetting.failover[].from': enforced(T.localityLb, 'failover from → to: the named region comes before other regions'),
  'loadBalancer.localityLbSetting.failover[].to': enforced(T.localityLb, 'failover from → to: the named region comes before other regions'),
  'loadBalancer.localityLbSetting.failoverPriority': enforced(T.localityLb, 'failoverPriority: label matches with the caller in order (label=value overrides), then failover on top'),
  'loadBalancer.zoneAwareLbSetting.enabled': enforced(T.zoneAware, ZONE_AWARE_E2E, ZONE_AWARE_NOTE),
  'loadBalancer.zoneAwareLbSetting.minClusterSize': enforced(T.zoneAware, 'zoneAwareLbSetting minClusterSize above the endpoint count: no zone awareness, round robin over all four (25 % in z-a)'),
  'loadBalancer.zoneAwareLbSetting.failover[].from': enforced(T.zoneAwareLb, "zone-aware failover: the rule's to region comes first among the other regions"),
  'loadBalancer.zoneAwareLbSetting.failover[].to': enforced(T.zoneAwareLb, "zone-aware failover: the rule's to region comes first among the other regions"),
  'loadBalancer.zoneAwareLbSetting.failoverPriority': unsupported(ZONE_AWARE_FAILOVER_PRIORITY),
  ...each(
    ['loadBalancer.warmupDurationSecs', 'loadBalancer.warmup.duration', 'loadBalancer.warmup.minimumPercent', 'loadBalancer.warmup.aggression'],
    enforced(T.slowStart, WARMUP),
  ),
  'outlierDetection.consecutive5xxErrors': enforced(T.outlierFailures, 'outlier detection: a 500-returning endpoint of three is ejected after 5 errors and comes back'),
  'outlierDetection.consecutiveGatewayErrors': enforced(OC, OUTLIER),
  'outlierDetection.consecutiveErrors': enforced(T.drSchema, 'ignores outlierDetection.consecutiveErrors with IST0133, as Istio since 1.7 (no ejection setting derived from it)', 'deprecated and ignored as in Istio since 1.7; a non-zero value warns IST0133 (SchemaWarning)'),
  'outlierDetection.consecutiveLocalOriginFailures': enforced(OC, OUTLIER),
  'outlierDetection.splitExternalLocalOriginErrors': enforced(OC, OUTLIER),
  'outlierDetection.interval': enforced(T.outlierFailures, 'outlier detection: a 500-returning endpoint of three is ejected after 5 errors and comes back'),
  'outlierDetection.baseEjectionTime': enforced(T.outlierFailures, 'outlier detection: a 500-returning endpoint of three is ejected after 5 errors and comes back'),
  'outlierDetection.maxEjectionPercent': enforced(OC, 'httpbin circuit breaker: maxConnections 1, http1MaxPendingRequests 1, maxRequestsPerConnection 1, outlier detection'),
  'outlierDetection.minHealthPercent': enforced(T.panicThreshold, 'minHealthPercent 50 with 3 of 4 endpoints ejected: panic, traffic spreads over all endpoints', 'the cluster\'s healthy_panic_threshold as istiod sets it (0 when unset: panic off); below it the proxy balances over every host, ejected ones included'),
  'outlierDetection.outlierDetectionHttpErrorCodes': unsupported('Istio maps it to Envoy\'s HttpProtocolOptions outlier_detection error matcher (envoyproxy/envoy#39947, per istio/api#3741), a field the Envoy API Weft carries over xDS (@grpc/grpc-js-xds deps) does not have: outlier detection keeps counting 5xx'),
  'tls.mode': enforced(T.drTls, 'SIMPLE: CA file, SNI and SAN verified'),
  'tls.clientCertificate': enforced(T.drTls, 'MUTUAL: client certificate from files'),
  'tls.privateKey': enforced(T.drTls, 'MUTUAL: client certificate from files'),
  'tls.caCertificates': enforced(T.tlsOrigination, 'caCertificates naming that CA: accepted, with SNI'),
  'tls.caCrl': enforced(T.tlsOrigination, 'caCrl: a certificate the CRL revokes is refused; the same certificate under a CRL not listing it is accepted'),
  'tls.credentialName': enforced(OC, 'TLS MUTUAL with files; credentialName is ignored on sidecars unless the rule has a workloadSelector'),
  'tls.subjectAltNames': enforced(T.drTls, 'SIMPLE with a SAN the server does not have is refused (503)'),
  'tls.sni': enforced(T.tlsOrigination, 'an explicit sni is sent as is, and the SAN list is then not automatic'),
  'tls.insecureSkipVerify': enforced(T.drTls, 'insecureSkipVerify accepts a certificate no CA vouches for; without it, refused'),
  'retryBudget.percent': enforced(OC, 'DestinationRule retryBudget becomes the circuit breaker retry_budget (percent, minRetryConcurrency); subsets may set their own'),
  'retryBudget.minRetryConcurrency': enforced(OC, 'DestinationRule retryBudget becomes the circuit breaker retry_budget (percent, minRetryConcurrency); subsets may set their own'),
  'retryBudget.budgetInterval': unsupported('Envoy\'s retry_budget (and Weft\'s) limits concurrent retries as a share of active requests, with no interval'),
  'proxyProtocol.version': unsupported('the proxy does not send a PROXY protocol header to upstreams'),
  'tunnel.protocol': unsupported('upstream tunneling (CONNECT/POST to a tunnel host) is not implemented'),
  'tunnel.targetHost': unsupported('upstream tunneling (CONNECT/POST to a tunnel host) is not implemented'),
  'tunnel.targetPort': unsupported('upstream tunneling (CONNECT/POST to a tunnel host) is not implemented'),
};

/** A full TrafficPolicy: its body plus `portLevelSettings[]` (the same body and `port.number`). */
export const trafficPolicyFields: FieldTable = {
  ...policyBody,
  'portLevelSettings[].port.number': enforced(OC, 'port-level settings override the top level for that port only; subsets inherit per field group'),
  ...under('portLevelSettings[]', Object.fromEntries(Object.entries(policyBody).filter(([k]) => !k.startsWith('tunnel.') && !k.startsWith('proxyProtocol.') && !k.startsWith('retryBudget.')))),
};
