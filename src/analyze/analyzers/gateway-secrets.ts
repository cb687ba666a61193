/**
 * gateway.SecretAnalyzer: a TLS server's `credentialName` must name a Secret in the namespace of
 * the gateway workload, not of the Gateway resource (IST0101 `credentialName`), and that Secret must
 * hold a usable key pair: `tls.crt`/`tls.key` (or `cert`/`key`), a parseable unexpired
 * certificate, and for MUTUAL a CA (`ca.crt`/`cacert`, or a `<name>-cacert` Secret) (IST0161).
 */
import { X509Certificate } from 'node:crypto';
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import type { GatewayView, SecretView } from '../views.js';
import { gatewayPods } from './gateway-workloads.js';
import { REDACTED_SECRET_ANNOTATION } from '../../config/schema/kubernetes.js';

function value(s: SecretView, key: string): string | undefined {
  const d = s.data?.[key];
  if (d !== undefined) return Buffer.from(d, 'base64').toString('utf8');
  return s.stringData?.[key];
}

/** Why a Secret is not a usable gateway credential, or undefined when it is. */
export function credentialProblem(secret: SecretView, mutual: boolean, caSecret: SecretView | undefined, now = new Date()): string | undefined {
  const pairs: [string, string][] = [['tls.crt', 'tls.key'], ['cert', 'key']];
  const pair = pairs.find(([c, k]) => value(secret, c) && value(secret, k));
  if (!pair) return 'missing tls.crt/tls.key';
  const pem = value(secret, pair[0])!;
  try {
    const cert = new X509Certificate(pem);
    if (new Date(cert.validTo) < now) return 'certificate expired';
  } catch {
    return 'certificate is not a valid PEM certificate';
  }
  if (mutual) {
    const hasCa = value(secret, 'ca.crt') || value(secret, 'cacert') || (caSecret && (value(caSecret, 'ca.crt') || value(caSecret, 'cacert')));
    if (!hasCa) return 'missing ca.crt for MUTUAL mode';
  }
  return undefined;
}

/** The analyzer. */
export const gatewaySecretAnalyzer: Analyzer = {
  name: 'gateway.SecretAnalyzer',
  description: "Checks a gateway's referenced secrets for correctness",
  inputs: ['Gateway', 'Deployment', 'WorkloadEntry', 'Secret'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const gw of ctx.list<GatewayView>('Gateway')) {
      const pods = gatewayPods(ctx, gw);
      if (pods.length === 0) continue; // reported by gateway.IngressGatewayPortAnalyzer
      const ns = pods[0]!.namespace;
      (gw.spec.servers ?? []).forEach((server, i) => {
        const cn = server.tls?.credentialName;
        if (!cn) return;
        const path = ['spec', 'servers', i, 'tls', 'credentialName'];
        const secret = ctx.snapshot.get<SecretView>('Secret', ns, cn);
        if (!secret) {
          out.push(message(Messages.ReferencedResourceNotFound, gw, path, 'credentialName', cn));
          return;
        }
        // Read back from the control plane's API (`weft explain` on a running mesh), a Secret's values
        // are withheld: its content cannot be judged here (the control plane reports unusable credentials itself).
        if (secret.metadata.annotations?.[REDACTED_SECRET_ANNOTATION] !== undefined) return;
        const mutual = server.tls?.mode === 'MUTUAL';
        const ca = ctx.snapshot.get<SecretView>('Secret', ns, `${cn}-cacert`);
        if (credentialProblem(secret.spec, mutual, ca?.spec)) {
          out.push(message(Messages.InvalidGatewayCredential, gw, path, gw.metadata.name, gw.metadata.namespace));
        }
      });
    }
    return out;
  },
};
