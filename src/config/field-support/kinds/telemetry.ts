/** Telemetry field support (istio.io/api telemetry/v1); translation in `src/translate/telemetry/`. */
import { T } from '../tests.js';
import { each, enforced, unsupported, type FieldTable } from '../types.js';
import { targetRefFields } from './security.js';

const TT = T.telemetryTranslate;
const SPANS = 'one trace gateway → sidecar → app → sidecar → sidecar → app: ids, parents, kinds, names, standard, Istio and custom tags';
const SPAN_FIELDS = 'enableIstioTags false on one workload drops its istio.* tags; disableSpanReporting with match.mode CLIENT silences only the client side';
const NOT_IN_PROTOS = 'the Envoy API protos Weft serves xDS with (the copy inside @grpc/grpc-js-xds) predate this field';

/** Every Telemetry field Weft accepts. */
export const telemetryFields: FieldTable = {
  'spec.selector.matchLabels': enforced(TT, 'Telemetry: mesh-wide enable in the root namespace, namespace disable, workload re-enable with a filter'),
  ...targetRefFields,
  'spec.accessLogging[].providers[].name': enforced(TT, 'Telemetry: mesh-wide enable in the root namespace, namespace disable, workload re-enable with a filter'),
  'spec.accessLogging[].disabled': enforced(T.accessLogE2e, 'a workload Telemetry disabling the provider overrides the root namespace; deleting it restores logs'),
  'spec.accessLogging[].filter.expression': enforced(T.accessLogE2e, 'JSON provider with filter response.code >= 400 logs only the failures, typed'),
  'spec.accessLogging[].match.mode': enforced(TT, 'match.mode: CLIENT applies to outbound only, SERVER to inbound only'),
  'spec.tracing[].providers[].name': enforced(T.tracingE2e, 'Zipkin provider, 100 % sampling: a request without context starts a sampled B3 trace; each hop adds a span'),
  'spec.tracing[].randomSamplingPercentage': enforced(T.tracingE2e, 'Zipkin provider, 100 % sampling: a request without context starts a sampled B3 trace; each hop adds a span'),
  'spec.tracing[].disableSpanReporting': enforced(T.tracingSpans, SPAN_FIELDS),
  'spec.tracing[].match.mode': enforced(T.tracingSpans, SPAN_FIELDS),
  'spec.tracing[].useRequestIdForTraceSampling': enforced(T.tracingSpans, 'useRequestIdForTraceSampling: one x-request-id pins the 50 % decision; false draws per request'),
  'spec.tracing[].disableContextPropagation': unsupported(`istiod turns it into the HCM tracing field \`no_context_propagation\` (Envoy 1.36+), and ${NOT_IN_PROTOS}, so it cannot reach the proxy: trace headers are still written`),
  'spec.tracing[].enableIstioTags': enforced(T.tracingSpans, SPAN_FIELDS),
  ...each(
    [
      'spec.tracing[].customTags{}.literal.value', 'spec.tracing[].customTags{}.environment.name', 'spec.tracing[].customTags{}.environment.defaultValue',
      'spec.tracing[].customTags{}.header.name', 'spec.tracing[].customTags{}.header.defaultValue',
    ],
    enforced(T.tracingSpans, SPANS),
  ),
  'spec.tracing[].customTags{}.formatter.value': unsupported(`a formatter tag is Envoy's CustomTag \`value\` (a substitution format string), and ${NOT_IN_PROTOS}: the tag is not added to spans`),
  'spec.metrics[].providers[].name': enforced(T.metricsTranslate, 'a provider other than Prometheus in scope: no Istio metrics for that scope, as without istiod\'s stats filter'),
  'spec.metrics[].reportingInterval': enforced(T.metricOverrides, 'reportingInterval: a long-lived TCP connection\'s istio_tcp_sent_bytes_total grows while it is still open'),
  'spec.metrics[].overrides[].disabled': enforced(T.metricOverrides, 'a root-namespace Telemetry disabling REQUEST_SIZE and RESPONSE_SIZE removes those series on both sides'),
  'spec.metrics[].overrides[].match.metric': enforced(T.metricOverrides, 'a root-namespace Telemetry disabling REQUEST_SIZE and RESPONSE_SIZE removes those series on both sides'),
  'spec.metrics[].overrides[].match.customMetric': enforced(T.metricsTranslate, 'overrides merge root → workload per metric and mode; customMetric names the filter metric; reportingInterval'),
  'spec.metrics[].overrides[].match.mode': enforced(T.metricOverrides, 'match.mode CLIENT changes only the caller\'s reporter="source" series'),
  'spec.metrics[].overrides[].tagOverrides{}.operation': enforced(T.metricOverrides, 'a workload Telemetry upserts request_host from request.host and removes request_protocol'),
  'spec.metrics[].overrides[].tagOverrides{}.value': enforced(T.metricOverrides, 'a workload Telemetry upserts request_host from request.host and removes request_protocol'),
};
