/**
 * PeerAuthentication, RequestAuthentication and AuthorizationPolicy field support (istio.io/api
 * security/v1). Translation in `src/translate/security/`, enforcement in `src/proxy/filters/`.
 */
import { T } from '../tests.js';
import { each, enforced, enforcedUntested, unsupported, type FieldTable } from '../types.js';

const TARGET_REF = 'policies attached with targetRef(s) apply to Gateway API gateways and waypoints, which Weft does not run; like istiod for sidecars, Weft applies such a policy to no workload';
const targetRefPaths = [
  'spec.targetRef.group', 'spec.targetRef.kind', 'spec.targetRef.name', 'spec.targetRef.namespace',
  'spec.targetRefs[].group', 'spec.targetRefs[].kind', 'spec.targetRefs[].name', 'spec.targetRefs[].namespace',
];
/** The targetRef(s) fields, shared by every policy kind. */
export const targetRefFields: FieldTable = each(targetRefPaths, unsupported(TARGET_REF));

/** Every PeerAuthentication field Weft accepts. */
export const peerAuthenticationFields: FieldTable = {
  'spec.selector.matchLabels': enforced(T.autoMtls, 'port-level override: a workload policy STRICT with port 8000 PERMISSIVE beats the namespace STRICT'),
  'spec.mtls.mode': enforced(T.autoMtls, 'STRICT: plaintext from outside the mesh is reset, mesh traffic keeps working'),
  'spec.portLevelMtls{}.mode': enforced(T.autoMtls, 'port-level override: a workload policy STRICT with port 8000 PERMISSIVE beats the namespace STRICT'),
};

const JF = T.jwtFilter;
const JWT_LOCATIONS = 'jwt_authn providers per rule, locations, forwarding, requirement as istiod';

/** Every RequestAuthentication field Weft accepts. */
export const requestAuthenticationFields: FieldTable = {
  'spec.selector.matchLabels': enforcedUntested('selects the workloads the JWT rules apply to'),
  ...targetRefFields,
  'spec.jwtRules[].issuer': enforced(T.jwt, 'a valid token passes; the payload is forwarded and the token removed'),
  'spec.jwtRules[].audiences': enforced(T.gatewaySemantics, 'two JWT rules with one issuer are two providers: a token for either rule passes, a mixed one is 401'),
  'spec.jwtRules[].jwksUri': enforced(T.jwt, 'JWKS fetched once and cached across requests'),
  'spec.jwtRules[].jwks_uri': enforcedUntested('deprecated spelling of jwksUri'),
  'spec.jwtRules[].jwks': enforcedUntested('inline JWKS'),
  'spec.jwtRules[].timeout': enforcedUntested('JWKS fetch timeout'),
  'spec.jwtRules[].fromHeaders[].name': enforced(JF, JWT_LOCATIONS),
  'spec.jwtRules[].fromHeaders[].prefix': enforced(JF, JWT_LOCATIONS),
  'spec.jwtRules[].fromParams': enforced(JF, JWT_LOCATIONS),
  'spec.jwtRules[].fromCookies': enforced(JF, JWT_LOCATIONS),
  'spec.jwtRules[].forwardOriginalToken': enforced(JF, JWT_LOCATIONS),
  'spec.jwtRules[].outputPayloadToHeader': enforced(T.jwt, 'a valid token passes; the payload is forwarded and the token removed'),
  'spec.jwtRules[].outputClaimToHeaders[].header': enforcedUntested('claim copied to a request header'),
  'spec.jwtRules[].outputClaimToHeaders[].claim': enforcedUntested('claim copied to a request header'),
  'spec.jwtRules[].spaceDelimitedClaims': enforcedUntested('claims split on spaces for when conditions'),
};

const AZ = T.authzSemantics;
const TAZ = T.tcpAuthzSemantics;

/** Every AuthorizationPolicy field Weft accepts. */
export const authorizationPolicyFields: FieldTable = {
  'spec.selector.matchLabels': enforced(AZ, 'a policy selecting another workload or in another namespace does not apply'),
  ...targetRefFields,
  'spec.action': enforced(T.bookinfoAuthz, 'removing the ALLOW policies restores access; a DENY policy still denies POST'),
  'spec.provider.name': enforced(T.extAuthz, 'the provider allows: 200, with its upstream headers; the check saw the prefix and the included header'),
  'spec.rules[].from[].source.principals': enforced(T.tcpAuthz, "ALLOW by principal: only sleep's identity gets through"),
  'spec.rules[].from[].source.notPrincipals': enforcedUntested('negated principals'),
  'spec.rules[].from[].source.requestPrincipals': enforced(T.jwt, 'requestPrincipals required: missing token 403, valid token 200'),
  'spec.rules[].from[].source.notRequestPrincipals': enforced(AZ, 'DENY: a missing attribute matches a not-form (notRequestPrincipals: ["*"] requires a JWT)'),
  'spec.rules[].from[].source.namespaces': enforced(TAZ, 'namespaces and notNamespaces; serviceAccounts'),
  'spec.rules[].from[].source.notNamespaces': enforced(TAZ, 'namespaces and notNamespaces; serviceAccounts'),
  'spec.rules[].from[].source.trustDomains': enforced(T.trustDomains, 'source.trustDomains and notTrustDomains match the peer SPIFFE trust domain; source.trustDomain in when'),
  'spec.rules[].from[].source.notTrustDomains': enforced(T.trustDomains, 'source.trustDomains and notTrustDomains match the peer SPIFFE trust domain; source.trustDomain in when'),
  'spec.rules[].from[].source.serviceAccounts': enforced(TAZ, 'namespaces and notNamespaces; serviceAccounts'),
  'spec.rules[].from[].source.notServiceAccounts': enforcedUntested('negated service accounts'),
  'spec.rules[].from[].source.ipBlocks': enforced(T.tcpAuthz, 'DENY by ipBlocks refuses only the listed source address'),
  'spec.rules[].from[].source.notIpBlocks': enforced(AZ, 'ipBlocks (direct peer) and remoteIpBlocks; notIpBlocks'),
  'spec.rules[].from[].source.remoteIpBlocks': enforced(AZ, 'ipBlocks (direct peer) and remoteIpBlocks; notIpBlocks'),
  'spec.rules[].from[].source.notRemoteIpBlocks': enforcedUntested('negated remote IP blocks'),
  'spec.rules[].to[].operation.hosts': enforced(AZ, 'ports and methods; hosts match case-insensitively'),
  'spec.rules[].to[].operation.notHosts': enforced(AZ, 'not-forms: notPaths, notMethods, notHosts, notPorts'),
  'spec.rules[].to[].operation.ports': enforced(AZ, 'ports and methods; hosts match case-insensitively'),
  'spec.rules[].to[].operation.notPorts': enforced(AZ, 'not-forms: notPaths, notMethods, notHosts, notPorts'),
  'spec.rules[].to[].operation.methods': enforced(T.bookinfoAuthz, 'removing the ALLOW policies restores access; a DENY policy still denies POST'),
  'spec.rules[].to[].operation.notMethods': enforced(AZ, 'not-forms: notPaths, notMethods, notHosts, notPorts'),
  'spec.rules[].to[].operation.paths': enforced(AZ, 'path globs: exact, prefix, suffix, presence, templates; url path ignores the query'),
  'spec.rules[].to[].operation.notPaths': enforced(AZ, 'not-forms: notPaths, notMethods, notHosts, notPorts'),
  'spec.rules[].when[].key': enforced(T.jwt, 'claims in when: request.auth.claims[groups]'),
  'spec.rules[].when[].values': enforced(T.jwt, 'claims in when: request.auth.claims[groups]'),
  'spec.rules[].when[].notValues': enforced(TAZ, 'when conditions on connection attributes: source.principal, destination.port, source.ip'),
};
