/**
 * The control plane's HTTP API on port 15014: what `weft apply/get/delete` and `proxy-status` call,
 * plus istiod-style debug endpoints. JSON in and out (YAML travels inside JSON: `{"files": [{file,
 * text}]}`). Every request passes api-auth.ts's checks first: Host, Origin, bearer token (except
 * `/metrics` and `/ready`), JSON bodies only. Secret values appear in no answer (secret-redaction.ts).
 * Served over HTTPS when given a certificate (required off loopback).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Diagnostic } from '../config/diagnostic.js';
import type { Resource } from '../config/resource.js';
import type { ApplyResult, ChangeResult } from './config-store.js';
import { toManifest } from './config-store.js';
import { allowedAuthorities, ApiAuthError, ApiErrorCode, apiTlsRequiredMessage, bearerMatches, checkHostAndOrigin, isJsonContentType, isLoopbackHost, OPEN_PATHS } from './api-auth.js';
import { findRedactedSecrets, redactManifest, REDACTED_ANNOTATION } from './secret-redaction.js';
import { ApplyError, ApplyErrorCode, MAX_APPLY_BYTES, tooLargeError } from './apply-limits.js';
import { isValidApplyId, newApplyId, type ApplyStatus } from './apply-log.js';
import { withConfigSource } from './config-source.js';
import { namespaceWarnings } from '../config/namespaces.js';
import { resourceId } from '../config/resource.js';

/** What the API needs from the control plane. */
export interface ControlPlaneApi {
  resources(): readonly Resource[];
  storeDiagnostics(): readonly Diagnostic[];
  /** Applies a batch (`opts.applyId` names it; an aborted `opts.signal` refuses it before the commit). */
  apply(texts: { file: string; text: string }[], dryRun: boolean, opts?: BatchOptions): Promise<ApplyResult>;
  delete(keys: { kind: string; namespace: string; name: string }[], opts?: BatchOptions): Promise<ChangeResult[]>;
  /** What became of apply/delete batch `id`. */
  applyStatus(id: string): ApplyStatus;
  /** Rows for `weft proxy-status` / `/debug/syncz`. */
  syncStatus(): unknown;
  /** The registry as JSON for `/debug/registryz`. */
  registry(): unknown;
  /** Prometheus text exposition of the control plane's own metrics. */
  metrics(): string;
  /** Where a resource comes from: its file, or `applied` (config-source.ts). */
  sourceOf?(r: Resource): string;
}

/** Identification and cancellation of an apply or delete batch. */
export interface BatchOptions {
  readonly applyId?: string;
  readonly signal?: AbortSignal;
}

/** Maximum accepted request body (apply-limits.ts). */
const MAX_BODY = MAX_APPLY_BYTES;

/** Request/response header carrying a batch's apply id (the client may choose it, so it knows it before any answer). */
export const APPLY_ID_HEADER = 'x-weft-apply-id';

/** `GET /api/v1/applies/<id>`: the outcome of an apply or delete batch. */
const APPLIES_PATH = '/api/v1/applies/';

/** Who may call the API. */
export interface HttpApiSecurity {
  /** The bearer token every request (but `/metrics`, `/ready`) must present. */
  readonly token: string;
  /** Serve HTTPS with this certificate chain and key (PEM); required when `host` is not loopback. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
}

/**
 * Starts the HTTP API on host:port; resolves to the server once listening. Refuses (ApiAuthError
 * API_TLS_REQUIRED) to serve plaintext on a non-loopback address: the token would cross the network
 * in the clear.
 */
export async function startHttpApi(api: ControlPlaneApi, host: string, port: number, security: HttpApiSecurity): Promise<http.Server> {
  if (!isLoopbackHost(host) && !security.tls) {
    throw new ApiAuthError(ApiErrorCode.TlsRequired, apiTlsRequiredMessage(host));
  }
  const scheme = security.tls ? 'https' : 'http';
  let allowed = new Set<string>();
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(api, req, res, { security, allowed, scheme }).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, { error: 'INTERNAL', message: err.message });
      else res.destroy();
    });
  };
  const server = security.tls ? https.createServer({ cert: security.tls.certPem, key: security.tls.keyPem, minVersion: 'TLSv1.2' }, listener) : http.createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  // The bound port is known only now (port 0 = any free port).
  allowed = allowedAuthorities(host, (server.address() as AddressInfo).port, scheme);
  return server;
}

/** The bound address of a started server. */
export function boundPort(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}

interface RequestContext {
  readonly security: HttpApiSecurity;
  readonly allowed: ReadonlySet<string>;
  readonly scheme: 'http' | 'https';
}

/** Methods whose body changes state: only JSON bodies, which no page can send cross-site without a preflight. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function handle(api: ControlPlaneApi, req: http.IncomingMessage, res: http.ServerResponse, ctx: RequestContext): Promise<void> {
  // The gate, in order, before anything reads the body or touches the store.
  const refused = checkHostAndOrigin(req.headers as Record<string, string | undefined>, ctx.allowed, ctx.scheme);
  if (refused) return refuse(req, res, refused.status, refused.code, refused.message);
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  if (!(method === 'GET' && OPEN_PATHS.has(url.pathname)) && !bearerMatches(req.headers.authorization, ctx.security.token)) {
    res.setHeader('www-authenticate', 'Bearer realm="weft"');
    return refuse(req, res, 401, ApiErrorCode.Unauthorized, req.headers.authorization ? 'the bearer token is not valid' : 'missing "Authorization: Bearer <token>"; the token is in the api-token file of the state directory');
  }
  if (BODY_METHODS.has(method) && !isJsonContentType(req.headers['content-type'])) {
    return refuse(req, res, 415, ApiErrorCode.UnsupportedMediaType, `request bodies must be application/json (got ${req.headers['content-type'] ?? 'none'})`);
  }
  if (method === 'POST' && (url.pathname === '/api/v1/apply' || url.pathname === '/api/v1/delete')) {
    return handleBatch(api, req, res, url);
  }
  if (method === 'GET' && url.pathname.startsWith(APPLIES_PATH)) {
    const id = decodeURIComponent(url.pathname.slice(APPLIES_PATH.length));
    if (!isValidApplyId(id)) return send(res, 400, { error: ApplyErrorCode.BadId, message: 'an apply id is 8 to 64 characters of A-Z a-z 0-9 . _ -' });
    return send(res, 200, api.applyStatus(id));
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
      return send(res, 200, { items: items.map((r) => withConfigSource(redactManifest(toManifest(r)), api.sourceOf?.(r))) });
    }
    case '/debug/syncz':
      return send(res, 200, api.syncStatus());
    case '/debug/configz':
      return send(res, 200, { items: api.resources().map((r) => redactManifest(toManifest(r))), diagnostics: api.storeDiagnostics() });
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

/**
 * `POST /api/v1/apply` and `/api/v1/delete`: one atomic batch each. The body size is checked against
 * the declared Content-Length before anything is read, then while reading (413, apply-limits.ts);
 * the apply id comes from the `x-weft-apply-id` header (else one is made) and is in every answer;
 * a client that disconnects before the commit gets nothing committed.
 */
async function handleBatch(api: ControlPlaneApi, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_BODY) return refuseBatch(req, res, tooLargeError(declared));
  const requestedId = req.headers[APPLY_ID_HEADER];
  const applyId = typeof requestedId === 'string' && requestedId !== '' ? requestedId : newApplyId();
  if (!isValidApplyId(applyId)) {
    return refuseBatch(req, res, new ApplyError(ApplyErrorCode.BadId, `the ${APPLY_ID_HEADER} header must be 8 to 64 characters of A-Z a-z 0-9 . _ -`, 400));
  }
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  try {
    if (url.pathname === '/api/v1/delete') return await handleDelete(api, req, res, { applyId, signal: gone.signal });
    return await handleApply(api, req, res, url, { applyId, signal: gone.signal });
  } catch (err) {
    if (err instanceof ApplyError) return send(res, err.status, { error: err.code, message: err.message, applyId }, applyId);
    throw err;
  }
}

/** A batch refused before its body is read: the connection is closed after the answer. */
function refuseBatch(req: http.IncomingMessage, res: http.ServerResponse, err: ApplyError): void {
  res.setHeader('connection', 'close');
  send(res, err.status, { error: err.code, message: err.message });
  req.resume();
}

async function handleApply(api: ControlPlaneApi, req: http.IncomingMessage, res: http.ServerResponse, url: URL, opts: BatchOptions): Promise<void> {
  const body = await readBody(req);
  if (body === undefined) return refuseBatch(req, res, tooLargeError());
  const dryRun = url.searchParams.get('dryRun') === 'true';
  let files: { file: string; text: string }[];
  try {
    const parsed = JSON.parse(body) as { files?: { file: string; text: string }[] };
    if (!Array.isArray(parsed.files) || !parsed.files.every((f) => typeof f?.file === 'string' && typeof f?.text === 'string')) throw new Error('files');
    files = parsed.files;
  } catch {
    return send(res, 400, { error: 'BAD_REQUEST', message: 'JSON body must be {"files": [{"file", "text"}]}' });
  }
  const redacted = findRedactedSecrets(files);
  if (redacted.length > 0) {
    return send(res, 422, {
      error: 'REDACTED_SECRET',
      message: `Secret ${redacted.join(', ')} carries the ${REDACTED_ANNOTATION} annotation: its values were withheld by weft get and are empty; apply the original manifest`,
    });
  }
  const result = await api.apply(files, dryRun, opts);
  // Warned, never refused: resources now in effect in a namespace nothing defines (config/namespaces.ts).
  const applied = new Set(result.results.map((r) => `${r.kind}/${r.namespace}/${r.name}`));
  const nsWarnings = result.ok && !dryRun ? namespaceWarnings(api.resources().filter((r) => applied.has(resourceId(r))), api.resources()) : [];
  return send(res, result.ok ? 200 : 422, nsWarnings.length > 0 ? { ...result, diagnostics: [...result.diagnostics, ...nsWarnings] } : result, result.applyId);
}

async function handleDelete(api: ControlPlaneApi, req: http.IncomingMessage, res: http.ServerResponse, opts: BatchOptions): Promise<void> {
  const body = await readBody(req);
  if (body === undefined) return refuseBatch(req, res, tooLargeError());
  let keys: { kind: string; namespace: string; name: string }[];
  try {
    keys = JSON.parse(body ?? '[]');
    if (!Array.isArray(keys) || !keys.every((k) => typeof k?.kind === 'string' && typeof k?.namespace === 'string' && typeof k?.name === 'string')) throw new Error('keys');
  } catch {
    return send(res, 400, { error: 'BAD_REQUEST', message: 'body must be a JSON list of {kind, namespace, name}' });
  }
  const results = await api.delete(keys, opts);
  return send(res, 200, { applyId: opts.applyId, results }, opts.applyId);
}

/** A refusal: JSON `{error, message}`; the request body is not read, and the connection is closed after. */
function refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, code: ApiErrorCode, message: string): void {
  res.setHeader('connection', 'close');
  send(res, status, { error: code, message });
  req.resume();
}

function send(res: http.ServerResponse, status: number, body: unknown, applyId?: string): void {
  const text = JSON.stringify(body, null, 2);
  // No sniffing into HTML (a path echoed in an error stays data), no caching of config in browsers or proxies.
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ...(applyId ? { [APPLY_ID_HEADER]: applyId } : {}) });
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
