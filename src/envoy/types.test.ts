import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResource, encodeResource } from '../xds/protos.js';
import { toAny, TypeUrl } from './type-url.js';
import { wrapped, type Cluster, type ClusterLoadAssignment, type HttpConnectionManager, type Listener } from './types.js';
import { durationMs } from './duration.js';

test('Listener, Cluster and ClusterLoadAssignment typed objects round-trip through the real protos', () => {
  const hcm: HttpConnectionManager = {
    statPrefix: 'outbound_0.0.0.0_9080',
    rds: { routeConfigName: '9080', configSource: { ads: {}, initialFetchTimeout: { seconds: 0 } } },
    httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': TypeUrl.Router } }],
    useRemoteAddress: { value: false },
    normalizePath: { value: true },
    mergeSlashes: true,
    streamIdleTimeout: {},
    commonHttpProtocolOptions: { idleTimeout: { seconds: 3600 }, maxHeadersCount: { value: 100 } },
    proxy_100Continue: true,
  };
  const listener: Listener = {
    name: '0.0.0.0_9080',
    address: { socketAddress: { address: '0.0.0.0', portValue: 9080 } },
    filterChains: [
      {
        filterChainMatch: { destinationPort: { value: 9080 }, prefixRanges: [{ addressPrefix: '10.0.0.0', prefixLen: { value: 8 } }], applicationProtocols: ['http/1.1', 'h2c'] },
        filters: [{ name: 'envoy.filters.network.http_connection_manager', typedConfig: toAny(TypeUrl.HttpConnectionManager, hcm) }],
      },
    ],
    bindToPort: { value: false },
    useOriginalDst: { value: true },
  };
  const l = decodeResource<Listener>(TypeUrl.Listener, encodeResource(TypeUrl.Listener, listener));
  const decodedHcm = l.filterChains![0]!.filters![0]!.typedConfig as unknown as HttpConnectionManager & { '@type': string };
  assert.equal(decodedHcm['@type'], TypeUrl.HttpConnectionManager);
  assert.equal(decodedHcm.rds?.routeConfigName, '9080');
  assert.equal(decodedHcm.proxy_100Continue, true);
  assert.equal(wrapped(decodedHcm.commonHttpProtocolOptions?.maxHeadersCount, 0), 100);
  assert.equal(durationMs(decodedHcm.commonHttpProtocolOptions?.idleTimeout), 3600000);
  assert.equal(wrapped(l.bindToPort, true), false);
  assert.equal(l.filterChains![0]!.filterChainMatch!.prefixRanges![0]!.prefixLen?.value, 8);

  const cluster: Cluster = {
    name: 'outbound|9080|v1|reviews.default.svc.cluster.local',
    edsClusterConfig: { serviceName: 'outbound|9080|v1|reviews.default.svc.cluster.local', edsConfig: { ads: {} } },
    connectTimeout: { seconds: 10 },
    circuitBreakers: { thresholds: [{ maxConnections: { value: 4294967295 }, maxRetries: { value: 4294967295 }, trackRemaining: true }] },
    outlierDetection: { consecutive_5xx: { value: 5 }, enforcingConsecutive_5xx: { value: 100 }, interval: { seconds: 10 }, baseEjectionTime: { seconds: 30 }, maxEjectionPercent: { value: 10 } },
    commonLbConfig: { healthyPanicThreshold: { value: 0 } },
    ringHashLbConfig: { minimumRingSize: { value: 1024 } },
    typedExtensionProtocolOptions: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': TypeUrl.HttpProtocolOptions,
        commonHttpProtocolOptions: { idleTimeout: { seconds: 3600 }, maxRequestsPerConnection: { value: 1 } },
        useDownstreamProtocolConfig: { httpProtocolOptions: {}, http2ProtocolOptions: {} },
      },
    },
    metadata: { filterMetadata: { istio: { fields: { services: { listValue: { values: [{ structValue: { fields: { host: { stringValue: 'reviews.default.svc.cluster.local' } } } }] } } } } } },
  };
  const c = decodeResource<Cluster>(TypeUrl.Cluster, encodeResource(TypeUrl.Cluster, cluster));
  assert.equal(c.outlierDetection?.consecutive_5xx?.value, 5);
  assert.equal(c.outlierDetection?.enforcingConsecutive_5xx?.value, 100);
  assert.equal(c.circuitBreakers?.thresholds?.[0]?.maxConnections?.value, 4294967295);
  assert.equal(c.ringHashLbConfig?.minimumRingSize?.value, 1024);
  assert.deepEqual(c.metadata, cluster.metadata);
  assert.equal(c.typedExtensionProtocolOptions?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']?.['@type'], TypeUrl.HttpProtocolOptions);

  const cla: ClusterLoadAssignment = {
    clusterName: 'outbound|9080|v1|reviews.default.svc.cluster.local',
    endpoints: [
      {
        locality: { region: 'local' },
        lbEndpoints: [
          {
            endpoint: { address: { socketAddress: { address: '127.0.0.12', portValue: 9080 } } },
            loadBalancingWeight: { value: 1 },
            metadata: { filterMetadata: { istio: { fields: { workload: { stringValue: 'reviews-v1;default;reviews;v1;cluster.local' } } } } },
          },
        ],
        loadBalancingWeight: { value: 1 },
      },
    ],
  };
  const e = decodeResource<ClusterLoadAssignment>(TypeUrl.ClusterLoadAssignment, encodeResource(TypeUrl.ClusterLoadAssignment, cla));
  assert.deepEqual(e, cla);
});

test('wrapper helper reads omitted defaults correctly', () => {
  assert.equal(wrapped(undefined, true), true);
  assert.equal(wrapped({}, true), false);
  assert.equal(wrapped({ value: true }, false), true);
  assert.equal(wrapped(undefined, 1), 1);
  assert.equal(wrapped({}, 1), 0);
});
