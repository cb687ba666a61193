/**
 * The analysis message catalog: for each code, Istio's name, level and template exactly as istioctl
 * prints them (istio/istio `pkg/config/analysis/msg/messages.yaml` and istio.io's analysis pages).
 * Analyzers never write message text themselves; they pick a type here and give its arguments, so
 * `weft analyze` output reads word for word like `istioctl analyze`.
 */
import type { Level } from '../config/diagnostic.js';

/** One kind of analysis message: a stable code, Istio's name for it, a level and a Go-style template. */
export interface MessageType {
  readonly code: string;
  readonly name: string;
  readonly level: Level;
  /** Go `fmt` template (`%s`, `%v`, `%q`, `%d`, `%t`), as in Istio's messages.yaml. */
  readonly template: string;
}

function t(code: string, name: string, level: Level, template: string): MessageType {
  return Object.freeze({ code, name, level, template });
}

/** Every message type Weft emits, keyed by Istio's name. */
export const Messages = Object.freeze({
  InternalError: t('IST0001', 'InternalError', 'Error', 'Internal error: %v'),
  Deprecated: t('IST0002', 'Deprecated', 'Warning', 'Deprecated: %s'),
  ReferencedResourceNotFound: t('IST0101', 'ReferencedResourceNotFound', 'Error', 'Referenced %s not found: %q'),
  SchemaValidationError: t('IST0106', 'SchemaValidationError', 'Error', 'Schema validation error: %v'),
  ConflictingMeshGatewayVirtualServiceHosts: t('IST0109', 'ConflictingMeshGatewayVirtualServiceHosts', 'Error',
    'The VirtualServices %s associated with mesh gateway define the same host %s which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.'),
  ConflictingSidecarWorkloadSelectors: t('IST0110', 'ConflictingSidecarWorkloadSelectors', 'Error',
    'The Sidecars %v in namespace %q select the same workload pod %q, which can lead to undefined behavior.'),
  MultipleSidecarsWithoutWorkloadSelectors: t('IST0111', 'MultipleSidecarsWithoutWorkloadSelectors', 'Error',
    'The Sidecars %v in namespace %q have no workload selector, which can lead to undefined behavior.'),
  VirtualServiceDestinationPortSelectorRequired: t('IST0112', 'VirtualServiceDestinationPortSelectorRequired', 'Error',
    'This VirtualService routes to a service %q that exposes multiple ports %v. Specifying a port in the destination is required to disambiguate.'),
  PortNameIsNotUnderNamingConvention: t('IST0118', 'PortNameIsNotUnderNamingConvention', 'Info',
    "Port name %s (port: %d, targetPort: %s) doesn't follow the naming convention of Istio port."),
  NoMatchingWorkloadsFound: t('IST0127', 'NoMatchingWorkloadsFound', 'Warning',
    'No matching workloads for this resource with the following labels: %s'),
  NoServerCertificateVerificationDestinationLevel: t('IST0128', 'NoServerCertificateVerificationDestinationLevel', 'Warning',
    'DestinationRule %s in namespace %s has TLS mode set to %s but no caCertificates are set to validate server identity for host: %s'),
  NoServerCertificateVerificationPortLevel: t('IST0129', 'NoServerCertificateVerificationPortLevel', 'Warning',
    'DestinationRule %s in namespace %s has TLS mode set to %s but no caCertificates are set to validate server identity for host: %s at port %s'),
  VirtualServiceUnreachableRule: t('IST0130', 'VirtualServiceUnreachableRule', 'Warning', 'VirtualService rule %v not used (%s).'),
  VirtualServiceIneffectiveMatch: t('IST0131', 'VirtualServiceIneffectiveMatch', 'Info',
    'VirtualService rule %v match %v is not used (duplicate/overlapping match in rule %v).'),
  VirtualServiceHostNotFoundInGateway: t('IST0132', 'VirtualServiceHostNotFoundInGateway', 'Warning',
    'one or more host %v defined in VirtualService %s not found in Gateway %s.'),
  ServiceEntryAddressesRequired: t('IST0134', 'ServiceEntryAddressesRequired', 'Warning', 'ServiceEntry addresses are required for this protocol.'),
  GatewayDuplicateCertificate: t('IST0138', 'GatewayDuplicateCertificate', 'Warning',
    'Duplicate certificate in multiple gateways %v may cause 404s if clients re-use HTTP2 connections.'),
  IngressRouteRulesNotAffected: t('IST0140', 'IngressRouteRulesNotAffected', 'Warning',
    'Subset in virtual service %s has no effect on ingress gateway %s requests'),
  ConflictingGateways: t('IST0145', 'ConflictingGateways', 'Error', 'Conflict with gateways %s (workload selector %s, port %s, hosts %v).'),
  JwtClaimBasedRoutingWithoutRequestAuthN: t('IST0149', 'JwtClaimBasedRoutingWithoutRequestAuthN', 'Error',
    'The virtual service uses the JWT claim based routing (key: %s) but found no request authentication for the gateway (%s) pod (%s). The request authentication must first be applied for the gateway pods to validate the JWT token and make the claims available for routing.'),
  ExternalNameServiceTypeInvalidPortName: t('IST0150', 'ExternalNameServiceTypeInvalidPortName', 'Warning',
    'Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched traffic for ports serving TCP protocol from being forwarded correctly'),
  EnvoyFilterUsesRelativeOperation: t('IST0151', 'EnvoyFilterUsesRelativeOperation', 'Warning',
    'This EnvoyFilter does not have a priority and has a relative patch operation set which can cause the EnvoyFilter not to be applied. Using the INSERT_FIRST of ADD option or setting the priority may help in ensuring the EnvoyFilter is applied correctly.'),
  EnvoyFilterUsesReplaceOperationIncorrectly: t('IST0152', 'EnvoyFilterUsesReplaceOperationIncorrectly', 'Error',
    'The REPLACE operation is only valid for HTTP_FILTER and NETWORK_FILTER.'),
  EnvoyFilterUsesAddOperationIncorrectly: t('IST0153', 'EnvoyFilterUsesAddOperationIncorrectly', 'Error',
    'The ADD operation will be ignored when applyTo is set to ROUTE_CONFIGURATION, or HTTP_ROUTE.'),
  EnvoyFilterUsesRemoveOperationIncorrectly: t('IST0154', 'EnvoyFilterUsesRemoveOperationIncorrectly', 'Error',
    'The REMOVE operation will be ignored when applyTo is set to ROUTE_CONFIGURATION, or HTTP_ROUTE.'),
  EnvoyFilterUsesRelativeOperationWithProxyVersion: t('IST0155', 'EnvoyFilterUsesRelativeOperationWithProxyVersion', 'Warning',
    'This EnvoyFilter does not have a priority and has a relative patch operation (NSTERT_BEFORE/AFTER, REPLACE, MERGE, DELETE) and proxyVersion set which can cause the EnvoyFilter not to be applied during an upgrade. Using the INSERT_FIRST or ADD option or setting the priority may help in ensuring the EnvoyFilter is applied correctly.'),
  InvalidTelemetryProvider: t('IST0157', 'InvalidTelemetryProvider', 'Warning', 'The Telemetry %v in namespace %q with empty providers will be ignored.'),
  ConflictingTelemetryWorkloadSelectors: t('IST0159', 'ConflictingTelemetryWorkloadSelectors', 'Error',
    'The Telemetries %v in namespace %q select the same workload pod %q, which can lead to undefined behavior.'),
  MultipleTelemetriesWithoutWorkloadSelectors: t('IST0160', 'MultipleTelemetriesWithoutWorkloadSelectors', 'Error',
    'The Telemetries %v in namespace %q have no workload selector, which can lead to undefined behavior.'),
  InvalidGatewayCredential: t('IST0161', 'InvalidGatewayCredential', 'Error',
    'The credential referenced by the Gateway %s in namespace %s is invalid, which can cause the traffic not to work as expected.'),
  GatewayPortNotDefinedOnService: t('IST0162', 'GatewayPortNotDefinedOnService', 'Warning',
    'The gateway is listening on a target port (port %d) that is not defined in the Service associated with its workload instances (Pod selector %s). If you need to access the gateway port through the gateway Service, it will not be available.'),
  IneffectiveSelector: t('IST0166', 'IneffectiveSelector', 'Warning', 'Ineffective selector on Kubernetes Gateway %s. Use the TargetRef field instead.'),
  IneffectivePolicy: t('IST0167', 'IneffectivePolicy', 'Warning', 'The policy has no impact: %s.'),
  DestinationRuleSubsetNotSelectPods: t('IST0173', 'DestinationRuleSubsetNotSelectPods', 'Error',
    'The Subset %s defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).'),
  UnknownDestinationRuleHost: t('IST0174', 'UnknownDestinationRuleHost', 'Warning',
    'The host %s defined in the DestinationRule does not match any services in the mesh.'),
  ConflictingServiceEntryProtocol: t('IST0177', 'ConflictingServiceEntryProtocol', 'Warning',
    'Multiple ServiceEntries (%s) define the same host %q and port %d with conflicting protocols (%s).'),
} satisfies Record<string, MessageType>);

/** Name of a message type in the catalog. */
export type MessageName = keyof typeof Messages;

/** All message types, ordered by code. */
export const ALL_MESSAGE_TYPES: readonly MessageType[] = Object.freeze(
  Object.values(Messages).sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)),
);

/** Finds a message type by code (`IST0101`); undefined for codes Weft does not know. */
export function messageTypeByCode(code: string): MessageType | undefined {
  return ALL_MESSAGE_TYPES.find((m) => m.code === code);
}

/** A value a template argument may hold. */
export type TemplateArg = string | number | boolean | readonly (string | number)[];

/**
 * Renders a Go `fmt` template with arguments the way Go prints them: `%v` of a list is `[a b]`,
 * `%q` quotes with Go's escaping (close to JSON's for the strings analysis uses), `%d` an integer.
 */
export function renderTemplate(template: string, args: readonly TemplateArg[]): string {
  let i = 0;
  return template.replace(/%([svqdt%])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    const arg = args[i++];
    if (arg === undefined) return `%!${verb}(MISSING)`;
    switch (verb) {
      case 'q':
        return Array.isArray(arg) ? `[${arg.map((a) => JSON.stringify(String(a))).join(' ')}]` : JSON.stringify(String(arg));
      case 'd':
        return Array.isArray(arg) ? `[${arg.join(' ')}]` : String(Math.trunc(Number(arg)));
      default:
        return Array.isArray(arg) ? `[${arg.join(' ')}]` : String(arg);
    }
  });
}
