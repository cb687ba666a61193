/**
 * Secret references in TLS contexts. istiod points these at its node agent (`sds-grpc`); Weft's
 * control plane serves Secrets itself over ADS, so every SdsSecretConfig carries an ADS config source.
 * Secret names are istiod's: `default` (the workload certificate), `ROOTCA` (the mesh trust
 * bundle), a DestinationRule's `credentialName` (client cert) and `<credentialName>-cacert` (its CA).
 */
import type { ConfigSource, SdsSecretConfig } from '../../envoy/types.js';

/** Name of the workload's own certificate secret. */
export const SDS_DEFAULT_RESOURCE = 'default';
/** Name of the mesh root CA secret. */
export const SDS_ROOT_RESOURCE = 'ROOTCA';
/** Suffix istiod appends to a credentialName for the CA part. */
export const SDS_CA_SUFFIX = '-cacert';

/** The config source of every Weft secret: the ADS stream, resource API v3 (a fresh object per call). */
export function adsSecretSource(): ConfigSource {
  return { ads: {}, resourceApiVersion: 'V3' };
}

/** An SDS reference to the secret `name`, fetched over ADS. */
export function sdsSecretConfig(name: string): SdsSecretConfig {
  return { name, sdsConfig: adsSecretSource() };
}
