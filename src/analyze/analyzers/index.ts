/**
 * Every analyzer `weft analyze` runs, in a fixed order (the output is sorted afterwards, so the
 * order only matters for reading).
 */
import type { Analyzer } from '../analyzer.js';
import { authorizationPoliciesAnalyzer } from './authz-policies.js';
import { caCertificateAnalyzer } from './dr-ca-certificates.js';
import { podNotSelectedAnalyzer } from './dr-subsets.js';
import { envoyFilterPatchAnalyzer } from './envoyfilter-patches.js';
import { gatewayCertificateAnalyzer } from './gateway-certificates.js';
import { conflictingGatewayAnalyzer } from './gateway-conflicts.js';
import { ingressGatewayPortAnalyzer } from './gateway-ports.js';
import { gatewaySecretAnalyzer } from './gateway-secrets.js';
import { ineffectiveSelectorAnalyzer } from './ineffective-selectors.js';
import { policySelectorAnalyzer } from './policy-selectors.js';
import { portNameAnalyzer } from './service-port-names.js';
import { protocolAddressesAnalyzer } from './serviceentry-addresses.js';
import { conflictingServiceEntryProtocolAnalyzer } from './serviceentry-protocols.js';
import { sidecarEgressHostAnalyzer } from './sidecar-egress-hosts.js';
import { sidecarSelectorAnalyzer } from './sidecar-selectors.js';
import { telemetryProviderAnalyzer } from './telemetry-providers.js';
import { telemetrySelectorAnalyzer } from './telemetry-selectors.js';
import { conflictingMeshGatewayHostsAnalyzer } from './vs-conflicting-mesh-hosts.js';
import { destinationHostAnalyzer } from './vs-destination-hosts.js';
import { destinationRuleSubsetAnalyzer } from './vs-destination-rules.js';
import { vsGatewayAnalyzer } from './vs-gateways.js';
import { jwtClaimRouteAnalyzer } from './vs-jwt-claim-route.js';
import { ruleReachabilityAnalyzer } from './vs-rule-reachability.js';

/** All analyzers. */
export const ALL_ANALYZERS: readonly Analyzer[] = Object.freeze([
  authorizationPoliciesAnalyzer,
  caCertificateAnalyzer,
  podNotSelectedAnalyzer,
  envoyFilterPatchAnalyzer,
  ingressGatewayPortAnalyzer,
  gatewayCertificateAnalyzer,
  gatewaySecretAnalyzer,
  conflictingGatewayAnalyzer,
  ineffectiveSelectorAnalyzer,
  policySelectorAnalyzer,
  portNameAnalyzer,
  sidecarSelectorAnalyzer,
  sidecarEgressHostAnalyzer,
  conflictingMeshGatewayHostsAnalyzer,
  destinationHostAnalyzer,
  destinationRuleSubsetAnalyzer,
  vsGatewayAnalyzer,
  jwtClaimRouteAnalyzer,
  ruleReachabilityAnalyzer,
  protocolAddressesAnalyzer,
  conflictingServiceEntryProtocolAnalyzer,
  telemetryProviderAnalyzer,
  telemetrySelectorAnalyzer,
]);
