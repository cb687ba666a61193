/**
 * Gateway (networking.istio.io v1alpha3, v1beta1, v1): the servers a gateway proxy exposes. Also home
 * of ServerTLSSettings and its checks, which Sidecar ingress listeners reuse (as Istio's protos do).
 * Semantics after Istio's `ValidateGateway`, `validateServer`, `validateServerPort`,
 * `validateServerBind` and `validateTLSOptions`.
 */
import { z } from 'zod';
import type { ObjectMeta } from '../resource.js';
import { defineKind, labels, type IssueSink } from './common.js';
import {
  checkNamespacedHost,
  checkPort,
  isDNS1123Label,
  isHTTPProtocol,
  isIPAddress,
  isTLSProtocol,
  NETWORKING_VERSIONS,
  optUint,
  parseProtocol,
  SCHEMA_WARNING,
  UNIX_PREFIX,
  unixAddressError,
  type Path,
} from './networking-common.js';

/** Istio's Port (Gateway servers): number, protocol, name; `targetPort` is deprecated and rejected. */
export const port = z.strictObject({
  number: optUint,
  protocol: z.string(),
  name: z.string().optional(),
  targetPort: optUint,
});
/** A gateway server port. */
export type Port = z.infer<typeof port>;

const tlsVersion = z.enum(['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3']);

/** Istio's ServerTLSSettings: TLS termination or passthrough on a server or sidecar ingress listener. */
export const serverTLSSettings = z.strictObject({
  httpsRedirect: z.boolean().optional(),
  mode: z.enum(['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL']).optional(),
  serverCertificate: z.string().optional(),
  privateKey: z.string().optional(),
  caCertificates: z.string().optional(),
  caCrl: z.string().optional(),
  credentialName: z.string().optional(),
  credentialNames: z.array(z.string()).optional(),
  caCertCredentialName: z.string().optional(),
  tlsCertificates: z.array(z.strictObject({
    serverCertificate: z.string().optional(),
    privateKey: z.string().optional(),
    caCertificates: z.string().optional(),
  })).optional(),
  subjectAltNames: z.array(z.string()).optional(),
  verifyCertificateSpki: z.array(z.string()).optional(),
  verifyCertificateHash: z.array(z.string()).optional(),
  minProtocolVersion: tlsVersion.optional(),
  maxProtocolVersion: tlsVersion.optional(),
  cipherSuites: z.array(z.string()).optional(),
  insecureSkipVerify: z.boolean().optional(),
});
/** Server-side TLS settings. */
export type ServerTLSSettings = z.infer<typeof serverTLSSettings>;

/** Istio's Server: one listener of a gateway. */
export const server = z.strictObject({
  port: port.optional(),
  bind: z.string().optional(),
  hosts: z.array(z.string()).optional(),
  tls: serverTLSSettings.optional(),
  defaultEndpoint: z.string().optional(),
  name: z.string().optional(),
});
/** A gateway server. */
export type Server = z.infer<typeof server>;

/** Istio's Gateway spec. */
export const gatewaySpec = z.strictObject({ servers: z.array(server).optional(), selector: labels.optional() });
/** A Gateway's content. */
export type GatewaySpec = z.infer<typeof gatewaySpec>;

/** Cipher suites Envoy (BoringSSL) accepts, as Istio's `security.IsValidCipherSuite` lists them. */
const CIPHER_SUITES = new Set([
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305', 'ECDHE-PSK-CHACHA20-POLY1305', 'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA', 'ECDHE-PSK-AES128-CBC-SHA', 'AES128-GCM-SHA256', 'AES128-SHA', 'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA', 'ECDHE-PSK-AES256-CBC-SHA', 'AES256-GCM-SHA384', 'AES256-SHA', 'PSK-AES128-CBC-SHA',
  'PSK-AES256-CBC-SHA', 'DES-CBC3-SHA',
]);

/** Protocols the Gateway API documents for servers; others Istio parses are accepted with a warning. */
const GATEWAY_PROTOCOLS = new Set(['HTTP', 'HTTPS', 'GRPC', 'GRPC-Web', 'HTTP2', 'Mongo', 'TCP', 'TLS']);

/** Istio's `validateTLSOptions`: certificate sources per mode, CRLs, cipher suites, protocol versions. */
export function checkServerTLS(sink: IssueSink, p: Path, tls: ServerTLSSettings | undefined): void {
  if (!tls) return;
  const mode = tls.mode ?? 'PASSTHROUGH';
  if ((tls.minProtocolVersion === 'TLSV1_0' || tls.minProtocolVersion === 'TLSV1_1') && (tls.cipherSuites ?? []).length === 0) {
    sink.warn([...p, 'minProtocolVersion'], 'TLS version below TLSV1_2 require setting compatible ciphers as by default they no longer include compatible ciphers.', SCHEMA_WARNING);
  }
  const valid = new Set<string>();
  const invalid = new Set<string>();
  const dup = new Set<string>();
  for (const cs of tls.cipherSuites ?? []) {
    if (!CIPHER_SUITES.has(cs)) invalid.add(cs);
    else if (valid.has(cs)) dup.add(cs);
    else valid.add(cs);
  }
  if (invalid.size > 0) sink.warn([...p, 'cipherSuites'], `ignoring invalid cipher suites: [${[...invalid].sort().join(' ')}]`, SCHEMA_WARNING);
  if (dup.size > 0) sink.warn([...p, 'cipherSuites'], `ignoring duplicate cipher suites: [${[...dup].sort().join(' ')}]`, SCHEMA_WARNING);

  const certs = tls.tlsCertificates ?? [];
  const credNames = tls.credentialNames ?? [];
  if (mode === 'ISTIO_MUTUAL') {
    if (tls.serverCertificate) sink.error([...p, 'serverCertificate'], 'ISTIO_MUTUAL TLS cannot have associated server certificate');
    if (tls.privateKey) sink.error([...p, 'privateKey'], 'ISTIO_MUTUAL TLS cannot have associated private key');
    if (tls.caCertificates) sink.error([...p, 'caCertificates'], 'ISTIO_MUTUAL TLS cannot have associated CA bundle');
    if (certs.length > 0) sink.error([...p, 'tlsCertificates'], 'ISTIO_MUTUAL TLS cannot have associated tlsCertificates');
    if (tls.credentialName) sink.error([...p, 'credentialName'], 'ISTIO_MUTUAL TLS cannot have associated credentialName');
    if (credNames.length > 0) sink.error([...p, 'credentialNames'], 'ISTIO_MUTUAL TLS cannot have associated credentialNames');
    return;
  }
  if (mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') {
    if (tls.caCrl || tls.serverCertificate || tls.privateKey || tls.caCertificates || certs.length > 0 || tls.credentialName || credNames.length > 0) {
      sink.warn(p, `${mode} mode does not use certificates, they will be ignored`, SCHEMA_WARNING);
    }
  }
  const sources = [tls.serverCertificate && tls.privateKey, tls.credentialName, credNames.length > 0, certs.length > 0].filter(Boolean).length;
  if (sources > 1) sink.error(p, 'only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified');

  const terminating = mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL';
  if (terminating && (tls.credentialName || credNames.length > 0)) return; // credentials come from a secret
  if (terminating) {
    const prefix = mode === 'SIMPLE' ? 'SIMPLE TLS' : 'MUTUAL TLS';
    if (mode !== 'SIMPLE' && !tls.caCertificates) sink.error([...p, 'caCertificates'], `${prefix} requires a client CA bundle`);
    if (certs.length > 2) sink.warn([...p, 'tlsCertificates'], `${prefix} can support up to 2 server certificates`, SCHEMA_WARNING);
    const toVerify = certs.length > 0 ? certs.map((c, i) => ({ c, at: [...p, 'tlsCertificates', i] })) : [{ c: tls, at: p }];
    for (const { c, at } of toVerify) {
      if (!c.serverCertificate) sink.error([...at, 'serverCertificate'], `${prefix} requires a server certificate`);
      if (!c.privateKey) sink.error([...at, 'privateKey'], `${prefix} requires a private key`);
    }
  }
  if (tls.caCrl) {
    if (tls.credentialName) sink.error([...p, 'caCrl'], 'CRL is not supported with credentialName. CRL has to be specified in the credential');
    if (mode === 'SIMPLE') sink.error([...p, 'caCrl'], 'CRL is not supported with SIMPLE TLS');
  }
}

function checkServer(sink: IssueSink, p: Path, s: Server): void {
  const hosts = s.hosts ?? [];
  if (hosts.length === 0) sink.error([...p, 'hosts'], 'server config must contain at least one host');
  hosts.forEach((h, i) => checkNamespacedHost(sink, [...p, 'hosts', i], h, true));
  const bind = s.bind ?? '';
  const unix = bind.startsWith(UNIX_PREFIX);
  let portOk = false;
  if (!s.port) sink.error([...p, 'port'], 'port is required');
  else {
    const pp = [...p, 'port'];
    const before = sink.issues.length;
    const proto = parseProtocol(s.port.protocol);
    if (proto === undefined) {
      sink.error([...pp, 'protocol'], `invalid protocol "${s.port.protocol}", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP`);
    } else if (!GATEWAY_PROTOCOLS.has(proto)) {
      sink.warn([...pp, 'protocol'], `protocol "${s.port.protocol}" is not one of HTTP|HTTPS|GRPC|GRPC-WEB|HTTP2|MONGO|TCP|TLS documented for Gateway servers`, SCHEMA_WARNING);
    }
    const num = s.port.number ?? 0;
    if (num > 0 || !unix) checkPort(sink, [...pp, 'number'], num);
    if ((s.port.targetPort ?? 0) > 0) sink.error([...pp, 'targetPort'], 'targetPort has no impact on Gateways');
    if (!s.port.name) sink.error([...pp, 'name'], 'port name must be set');
    portOk = !sink.issues.slice(before).some((i) => i.level === 'Error');
  }
  if (unix) {
    const err = unixAddressError(bind.slice(UNIX_PREFIX.length));
    if (err) sink.error([...p, 'bind'], err);
    if (s.port && (s.port.number ?? 0) !== 0) sink.error([...p, 'port', 'number'], 'port number must be 0 for unix domain socket');
  } else if (bind !== '' && !isIPAddress(bind)) sink.error([...p, 'bind'], `${bind} is not a valid IP`);
  checkServerTLS(sink, [...p, 'tls'], s.tls);

  if (portOk && s.port) {
    const proto = parseProtocol(s.port.protocol);
    if (isTLSProtocol(proto) && !s.tls) sink.error([...p, 'tls'], 'server must have TLS settings for HTTPS/TLS protocols');
    else if (!isTLSProtocol(proto) && s.tls) {
      if (isHTTPProtocol(proto)) {
        const mode = s.tls.mode ?? 'PASSTHROUGH';
        const passthrough = mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH';
        if (!passthrough || s.tls.caCertificates || s.tls.privateKey || s.tls.serverCertificate) {
          sink.error([...p, 'tls'], 'server cannot have TLS settings for plain text HTTP ports');
        }
      } else sink.error([...p, 'tls'], 'server cannot have TLS settings for non HTTPS/TLS ports');
    }
  }
}

/** Runs Istio's Gateway webhook checks; paths are relative to the spec. */
export function checkGateway(spec: GatewaySpec, sink: IssueSink, meta: ObjectMeta): void {
  if (!isDNS1123Label(meta.name)) sink.error([], `invalid gateway name: "${meta.name}"`);
  const servers = spec.servers ?? [];
  if (servers.length === 0) sink.error(['servers'], 'gateway must have at least one server');
  servers.forEach((s, i) => checkServer(sink, ['servers', i], s));
  const names = new Set<string>();
  servers.forEach((s, i) => {
    if (!s.port) return;
    const name = s.port.name ?? '';
    if (names.has(name)) sink.error(['servers', i, 'port', 'name'], `port names in servers must be unique: duplicate name ${name}`);
    names.add(name);
    if (!isHTTPProtocol(parseProtocol(s.port.protocol)) && s.tls?.httpsRedirect) {
      sink.warn(['servers', i, 'tls', 'httpsRedirect'], 'tls.httpsRedirect should only be used with http servers', SCHEMA_WARNING);
    }
  });
}

/** The Gateway kind: schema and Istio's webhook checks (no deprecated fields to map). */
export const gatewayKind = defineKind<GatewaySpec>({
  kind: 'Gateway',
  group: 'networking.istio.io',
  versions: NETWORKING_VERSIONS,
  plural: 'gateways',
  namespaced: true,
  schema: gatewaySpec,
  check: checkGateway,
});
