/** Telemetry field support (istio.io/api telemetry/v1); translation in `src/translate/telemetry/`. */
import { T } from '../tests.js';
import { each, enforced, unsupported, type FieldTable } from '../types.js';
import { targetRefFields } from './security.js';

const TT = T.telemetryTranslate;
const METRICS = 'Telemetry metrics are not configurable yet: the proxy always reports Istio\'s standard metrics to its Prometheus endpoint (issue 12)';
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
  ...each(
    [
      'spec.metrics[].providers[].name', 'spec.metrics[].reportingInterval', 'spec.metrics[].overrides[].disabled',
      'spec.metrics[].overrides[].match.metric', 'spec.metrics[].overrides[].match.customMetric', 'spec.metrics[].overrides[].match.mode',
      'spec.metrics[].overrides[].tagOverrides{}.operation', 'spec.metrics[].overrides[].tagOverrides{}.value',
    ],
    unsupported(METRICS),
  ),
};
