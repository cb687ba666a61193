/**
 * Fixture of the secure-ingress tests: certificates made with the `openssl` CLI (a test CA, server
 * certificates for several hosts, a client certificate), Kubernetes Secret manifests for them, the
 * mesh directory `weft up` runs (httpbin from samples/, Gateway, VirtualServices, a ServiceEntry
 * for a TLS backend the test runs itself), and curl / openssl s_client helpers. Loopback only.
 */
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { REPO_ROOT } from '../../helpers/weft-process.js';
import { podNetOf, portOf } from '../../harness/ports.js';

const at = (i: number): number => portOf(import.meta.url, i); // 18610-18680 and pod network 60, test/harness/ports.ts
/** Ports and pod network of this suite (unused by the other tests): its row in test/harness/ports.ts. */
export const PORTS = { http: at(70), https: at(33), xds: at(0), api: at(4), ca: at(2), podNet: podNetOf(import.meta.url) } as const;

/** PEM files of one certificate. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

function openssl(dir: string, args: readonly string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Creates the test CA (`ca.crt`, `ca.key`) in `dir`. */
export function makeCa(dir: string, name = 'ca'): CertFiles {
  openssl(dir, ['req', '-x509', '-sha256', '-nodes', '-days', '2', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
    '-subj', `/O=example Inc./CN=${name}.example.com`, '-keyout', `${name}.key`, '-out', `${name}.crt`]);
  return { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

/** Issues a certificate for `cn` (DNS SAN `cn`, organization `org`) signed by `ca`, as `<file>.crt`/`<file>.key`. */
export function issue(dir: string, ca: CertFiles, file: string, cn: string, org: string, usage: 'server' | 'client' = 'server'): CertFiles {
  writeFileSync(path.join(dir, `${file}.ext`), `subjectAltName=DNS:${cn}\nextendedKeyUsage=${usage === 'server' ? 'serverAuth' : 'clientAuth'}\n`);
  openssl(dir, ['req', '-new', '-nodes', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-subj', `/CN=${cn}/O=${org}`, '-keyout', `${file}.key`, '-out', `${file}.csr`]);
  openssl(dir, ['x509', '-req', '-sha256', '-days', '2', '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-in', `${file}.csr`, '-out', `${file}.crt`, '-extfile', `${file}.ext`]);
  return { cert: path.join(dir, `${file}.crt`), key: path.join(dir, `${file}.key`) };
}

/** A Kubernetes Secret manifest with base64 `data` (as `kubectl create secret` writes it). */
export function secretYaml(name: string, namespace: string, type: string, data: Record<string, string>): string {
  const lines = Object.entries(data).map(([k, v]) => `  ${k}: ${Buffer.from(v).toString('base64')}`);
  return `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ntype: ${type}\ndata:\n${lines.join('\n')}\n`;
}

/** The mesh: httpbin, the Gateway with every TLS variant, VirtualServices, the passthrough backend. */
export function meshYaml(o: { filesCert: CertFiles; backendPort: number }): string {
  const httpbin = path.join(REPO_ROOT, 'dist/samples/httpbin/main.js');
  return `apiVersion: v1
kind: Service
metadata: {name: httpbin}
spec:
  selector: {app: httpbin}
  ports: [{name: http, port: 8000, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: httpbin}
spec:
  replicas: 1
  selector: {matchLabels: {app: httpbin}}
  template:
    metadata: {labels: {app: httpbin, version: v1}}
    spec:
      containers:
      - name: httpbin
        image: docker.io/mccutchen/go-httpbin:v2.15.0
        command: [node, ${JSON.stringify(httpbin)}]
        ports: [{containerPort: 8080}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: mygateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https-httpbin, protocol: HTTPS}
    hosts: [httpbin.example.com]
    tls: {mode: SIMPLE, credentialName: httpbin-credential}
  - port: {number: 443, name: https-bookinfo, protocol: HTTPS}
    hosts: [bookinfo.example.com]
    tls:
      mode: SIMPLE
      credentialName: bookinfo-credential
      maxProtocolVersion: TLSV1_2
      cipherSuites: [ECDHE-ECDSA-AES128-GCM-SHA256]
  - port: {number: 443, name: https-mutual, protocol: HTTPS}
    hosts: [mtls.example.com]
    tls: {mode: MUTUAL, credentialName: mutual-credential}
  - port: {number: 443, name: https-bad, protocol: HTTPS}
    hosts: [bad.example.com]
    tls: {mode: SIMPLE, credentialName: bad-credential}
  - port: {number: 443, name: https-files, protocol: HTTPS}
    hosts: [files.example.com]
    tls: {mode: SIMPLE, serverCertificate: ${JSON.stringify(o.filesCert.cert)}, privateKey: ${JSON.stringify(o.filesCert.key)}}
  - port: {number: 443, name: https-wild, protocol: HTTPS}
    hosts: ["*.wild.example.com"]
    tls: {mode: SIMPLE, credentialName: wild-credential, minProtocolVersion: TLSV1_3}
  - port: {number: 443, name: tls-passthrough, protocol: TLS}
    hosts: [nginx.example.com]
    tls: {mode: PASSTHROUGH}
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [httpbin.example.com]
    tls: {httpsRedirect: true}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: httpbin}
spec:
  hosts: [httpbin.example.com, bookinfo.example.com, mtls.example.com, bad.example.com, files.example.com, "*.wild.example.com"]
  gateways: [mygateway]
  http:
  - route:
    - destination: {host: httpbin, port: {number: 8000}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: nginx}
spec:
  hosts: [nginx.example.com]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{number: 443, name: tls, protocol: TLS}]
  endpoints: [{address: 127.0.0.1, ports: {tls: ${o.backendPort}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: nginx}
spec:
  hosts: [nginx.example.com]
  gateways: [mygateway]
  tls:
  - match: [{port: 443, sniHosts: [nginx.example.com]}]
    route:
    - destination: {host: nginx.example.com, port: {number: 443}}
`;
}

/** A TLS server that terminates TLS itself (the PASSTHROUGH backend): answers every request with `body`. */
export function startTlsBackend(cert: CertFiles, body: string, readFile: (p: string) => string): Promise<{ server: https.Server; port: number }> {
  const server = https.createServer({ cert: readFile(cert.cert), key: readFile(cert.key) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

/** Output of a finished command. */
export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command with a time limit (never rejects). */
export function run(cmd: string, args: readonly string[], input = ''): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    // A command that exits without reading its stdin (curl) makes the write fail with EPIPE; the exit code
    // and output still tell the result, so the stdin error is not an error of the test.
    child.stdin?.on('error', ignoreStdinError);
    child.stdin?.end(input);
  });
}

/** curl to `https://<host>:<https port><p>` resolved to 127.0.0.1, trusting `ca`; prints the status code. */
export function curlHttps(host: string, p: string, ca: string, extra: readonly string[] = []): Promise<Ran> {
  return run('curl', ['-sS', '--max-time', '10', '-o', '-', '-w', '\n%{http_code}', '--resolve', `${host}:${PORTS.https}:127.0.0.1`, '--cacert', ca, ...extra, `https://${host}:${PORTS.https}${p}`]);
}

/** The status code curl printed last (`-w '\n%{http_code}'`). */
export function statusOf(r: Ran): number {
  const lines = r.stdout.trimEnd().split('\n');
  return Number(lines[lines.length - 1]);
}

/** `openssl s_client` to the HTTPS port with SNI `servername`; extra args e.g. `-tls1_2`. */
export function sClient(servername: string, extra: readonly string[] = []): Promise<Ran> {
  return run('openssl', ['s_client', '-connect', `127.0.0.1:${PORTS.https}`, '-servername', servername, ...extra], 'Q\n');
}

/** The leaf subject `s_client` printed (`subject=CN = …, O = …`). */
export function servedSubject(r: Ran): string {
  return /^subject=(.*)$/m.exec(r.stdout)?.[1] ?? '';
}

/** Polls `cond` every 100 ms up to `timeoutMs`; returns whether it became true. */
export async function eventually(cond: () => Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Swallows EPIPE/ECONNRESET on a child's stdin (it exited before reading); rethrows anything else. */
function ignoreStdinError(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') throw err;
}
