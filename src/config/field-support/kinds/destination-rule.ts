/** DestinationRule field support (istio.io/api networking/v1 destination_rule.proto). */
import { T } from '../tests.js';
import { enforced, under, type FieldTable } from '../types.js';
import { trafficPolicyFields } from './traffic-policy.js';

/** Every DestinationRule field Weft accepts, with what it does. */
export const destinationRuleFields: FieldTable = {
  'spec.host': enforced(T.drIndex, 'an exact host beats wildcards, and the most specific wildcard wins'),
  'spec.exportTo': enforced(T.drIndex, 'exportTo "." keeps a rule to its own namespace'),
  'spec.workloadSelector.matchLabels': enforced(T.drIndex, 'a rule with a workloadSelector applies only to the proxies it selects, and only outbound'),
  'spec.subsets[].name': enforced(T.sidecarE2e, 'routes by header: end-user jason always reaches v2'),
  'spec.subsets[].labels': enforced(T.endpoints, 'one assignment per EDS cluster; each subset holds exactly the endpoints of its version'),
  ...under('spec.trafficPolicy', trafficPolicyFields),
  ...under('spec.subsets[].trafficPolicy', trafficPolicyFields),
};
