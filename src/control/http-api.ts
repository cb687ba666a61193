/**
 * The control plane's HTTP API on port 15014: what `weft apply/get/delete` and `proxy-status` call,
 * plus istiod-style debug endpoints. JSON in and out; YAML accepted for apply.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Diagnostic } from '../config/diagnostic.js';
import type { Resource } from '../config/resource.js';
import type { ApplyResult, ChangeResult } from './config-store.js';
import { toManifest } from './config-store.js';

/** What the API needs from the control plane. */
export interface ControlPlaneApi {
  resources(): readonly Resource[];
  storeDiagnostics(): readonly Diagnostic[];
  apply(texts: { file: string; text: string }[], dryRun: boolean): Promise<ApplyResult>;
  delete(keys: { kind: string; namespace: string; name: string }[]): Promise<ChangeResult[]>;
  /** Rows for `weft proxy-status` / `/debug/syncz`. */
  syncStatus(): unknown;
  /** The registry as JSON for `/debug/registryz`. */
  registry(): unknown;
  /** Prometheus text exposition of the control plane's own metrics. */
  metrics(): string;
}

/** Maximum accepted request body (apply of large directories). */
const MAX_BODY = 32 * 1024 * 1024;

/** Starts the HTTP API on host:port; resolves to the server once listening. */
export async function startHttpApi(api: ControlPlaneApi, host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    handle(api, req, res).catch((err: Error) => send(res, 500, { error: 'INTERNAL', message: err.message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** The bound address of a started server. */
export function boundPort(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}

async function handle(api: ControlPlaneApi, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  if (method === 'POST' && url.pathname === '/api/v1/apply') {
    const body = await readBody(req);
    if (body === undefined) return send(res, 413, { error: 'TOO_LARGE', message: `request body over ${MAX_BODY} bytes` });
    const dryRun = url.searchParams.get('dryRun') === 'true';
    let files: { file: string; text: string }[];
    if ((req.headers['content-type'] ?? '').startsWith('application/json')) {
      try {
        const parsed = JSON.parse(body) as { files?: { file: string; text: string }[] };
        if (!Array.isArray(parsed.files) || !parsed.files.every((f) => typeof f?.file === 'string' && typeof f?.text === 'string'))
          throw new Error('files');
        files = parsed.files;
      } catch {
        return send(res, 400, { error: 'BAD_REQUEST', message: 'JSON body must be {"files": [{"file", "text"}]}' });
      }
    } else files = [{ file: url.searchParams.get('file') ?? '<api>', text: body }];
    const result = await api.apply(files, dryRun);
    return send(res, result.ok ? 200 : 422, result);
  }
  if (method === 'POST' && url.pathname === '/api/v1/delete') {
    const body = await readBody(req);
    let keys: { kind: string; namespace: string; name: string }[];
    try {
      keys = JSON.parse(body ?? '[]');
    } catch {
      return send(res, 400, { error: 'BAD_REQUEST', message: 'body must be a JSON list of {kind, namespace, name}' });
    }
    return send(res, 200, { results: await api.delete(keys) });
  }
  if (method !== 'GET') return send(res, 405, { error: 'METHOD_NOT_ALLOWED', message: `${method} not allowed` });
  switch (url.pathname) {
    case '/api/v1/resources': {
      const kind = url.searchParams.get('kind');
      const ns = url.searchParams.get('namespace');
      const name = url.searchParams.get('name');
      const items = api.resources().filter(
        (r) => (!kind || r.kind === kind) && (!ns || r.metadata.namespace === ns) && (!name || r.metadata.name === name),
      );
      return send(res, 200, { items: items.map((r) => toManifest(r)) });
    }
    case '/debug/syncz':
      return send(res, 200, api.syncStatus());
    case '/debug/configz':
      return send(res, 200, { items: api.resources().map((r) => toManifest(r)), diagnostics: api.storeDiagnostics() });
    case '/debug/registryz':
      return send(res, 200, api.registry());
    case '/metrics':
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(api.metrics());
      return;
    case '/ready':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ready\n');
      return;
    default:
      return send(res, 404, { error: 'NOT_FOUND', message: `no endpoint ${url.pathname}` });
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
