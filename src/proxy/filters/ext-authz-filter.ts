/**
 * Envoy's external authorization filter with an HTTP authorization service (Istio's CUSTOM action,
 * `envoyExtAuthzHttp`). Only requests whose dynamic metadata matches `filterEnabledMetadata` are
 * checked (istiod's RBAC shadow rules mark the requests the CUSTOM rules select).
 *
 * The check request: the original method, `pathPrefix` + the original path, Envoy's fixed headers
 * (Host, Authorization, Content-Length: 0) plus the request headers `allowedHeaders` names; no
 * body. It goes to a host of the cluster named in `serverUri` (picked by the cluster's balancer,
 * plain HTTP/1.1 on that host's connections) and is bounded by `serverUri.timeout`.
 * - 200: allowed; check-response headers named by `allowedUpstreamHeaders` are set on the request;
 * - any other status: denied with that status and the check response's body (flag UAEX), plus the
 *   headers named by `allowedClientHeaders`;
 * - no answer (no cluster, no host, connect error, timeout): `failureModeAllow` lets the request
 *   through, otherwise fail closed with `statusOnError` (default 403, flag UAEX).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { compileStringMatcher, type StringPredicate } from '../../envoy/string-matcher.js';
import { compileMetadataMatcher, type MetadataPredicate } from '../../envoy/rbac/metadata-matcher.js';
import { EXT_AUTHZ_FILTER, type ExtAuthz, type ListStringMatcher } from '../../envoy/ext-authz/types.js';
import { DEFAULT_EXT_AUTHZ_TIMEOUT_MS } from '../../envoy/defaults.js';
import { durationMs } from '../../envoy/duration.js';
import { envoyRoot } from '../../xds/protos.js';
import { LocalReply } from '../http/local-reply.js';
import type { CallableHost, StreamInfo } from '../http/stream-info.js';
import { H1Call } from '../h1/h1-call.js';
import { isH1Pool } from '../h1/h1-pool.js';
import { metadataOf } from './security-context.js';
import type { SecurityFilter, SecurityVerdict } from './security-filter.js';

const FIXED_HEADERS = ['authorization'];

function listMatcher(l: ListStringMatcher | undefined, where: string): StringPredicate | undefined {
  const preds = (l?.patterns ?? []).map((p, i) => compileStringMatcher(p, `${where}.patterns[${i}]`));
  return preds.length === 0 ? undefined : (v) => preds.some((p) => p(v));
}

function statusNumber(code: string | number | undefined): number {
  if (code === undefined) return 403;
  if (typeof code === 'number') return code || 403;
  const v = envoyRoot().lookupEnum('envoy.type.v3.StatusCode').values[code];
  return typeof v === 'number' && v > 0 ? v : 403;
}

/** A host of the authorization cluster: its address and its HTTP/1.1 connections. */

interface CheckResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** The ext_authz filter. */
export class ExtAuthzFilter implements SecurityFilter {
  readonly name = EXT_AUTHZ_FILTER;
  private readonly enabled: MetadataPredicate | undefined;
  private readonly allowedHeaders: StringPredicate | undefined;
  private readonly upstreamHeaders: StringPredicate | undefined;
  private readonly clientHeaders: StringPredicate | undefined;
  private readonly cluster: string;
  private readonly uri: string;
  private readonly pathPrefix: string;
  private readonly timeoutMs: number;
  private readonly failOpen: boolean;
  private readonly statusOnError: number;

  constructor(config: ExtAuthz, where = 'ext_authz') {
    const svc = config.httpService ?? {};
    this.enabled = config.filterEnabledMetadata ? compileMetadataMatcher(config.filterEnabledMetadata, `${where}.filterEnabledMetadata`) : undefined;
    this.allowedHeaders = listMatcher(config.allowedHeaders, `${where}.allowedHeaders`);
    this.upstreamHeaders = listMatcher(svc.authorizationResponse?.allowedUpstreamHeaders, `${where}.httpService.authorizationResponse.allowedUpstreamHeaders`);
    this.clientHeaders = listMatcher(svc.authorizationResponse?.allowedClientHeaders, `${where}.httpService.authorizationResponse.allowedClientHeaders`);
    this.cluster = svc.serverUri?.cluster ?? '';
    this.uri = svc.serverUri?.uri ?? '';
    this.pathPrefix = svc.pathPrefix ?? '';
    this.timeoutMs = durationMs(svc.serverUri?.timeout) || DEFAULT_EXT_AUTHZ_TIMEOUT_MS;
    this.failOpen = config.failureModeAllow === true;
    this.statusOnError = statusNumber(config.statusOnError?.code);
  }

  decode(s: StreamInfo): SecurityVerdict | Promise<SecurityVerdict> {
    if (this.enabled && !this.enabled(metadataOf(s))) return undefined;
    return this.check(s).then(
      (r) => this.verdict(s, r),
      () => (this.failOpen ? undefined : LocalReply.extAuthzError(this.statusOnError)),
    );
  }

  private verdict(s: StreamInfo, r: CheckResult): SecurityVerdict {
    if (r.status === 200) {
      if (this.upstreamHeaders) {
        const h = s.headers as Record<string, string | string[] | undefined>;
        for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && this.upstreamHeaders(k)) h[k] = v;
      }
      return undefined;
    }
    const extra: Record<string, string> = {};
    if (this.clientHeaders) for (const [k, v] of Object.entries(r.headers)) if (typeof v === 'string' && this.clientHeaders(k)) extra[k] = v;
    return LocalReply.extAuthzDenied(r.status, r.body, extra);
  }

  /** A host of the authorization cluster, with its connections (host-connections.ts). */
  private target(s: StreamInfo): CallableHost {
    const rt = s.clusterHost(this.cluster);
    if (rt !== undefined) return rt;
    throw new Error(`ext_authz: no host in cluster ${this.cluster || this.uri}`);
  }

  private check(s: StreamInfo): Promise<CheckResult> {
    return new Promise<CheckResult>((resolve, reject) => {
      const rt = this.target(s);
      const headers: Record<string, string> = { 'content-length': '0' };
      if (s.authority !== undefined) headers['host'] = s.authority;
      for (const [k, v] of Object.entries(s.headers)) {
        if (v === undefined) continue;
        if (FIXED_HEADERS.includes(k) || this.allowedHeaders?.(k)) headers[k] = Array.isArray(v) ? v.join(',') : v;
      }
      // On the authorization host's own keep-alive connections, as Envoy's filter uses the cluster's
      // async HTTP client; `serverUri.timeout` bounds the whole exchange.
      const pool = rt.agent.h1Pool(rt.address, rt.port, headers);
      if (!isH1Pool(pool)) {
        reject(new Error(`ext_authz: host ${rt.address}:${rt.port} has no HTTP/1.1 pool`));
        return;
      }
      new H1Call(pool, s.method, this.pathPrefix + s.path, headers, { bodyless: true, timeoutMs: this.timeoutMs, keepBodyBytes: 65536 }, { resolve, reject }, onCheckDone);
    });
  }
}

/** The check's outcome: its response (body cut at 64 KiB), or the failure (→ failureModeAllow / statusOnError). */
function onCheckDone(p: { resolve: (r: CheckResult) => void; reject: (err: Error) => void }, status: number, err: Error | undefined, body: Buffer | undefined, headers: IncomingHttpHeaders | undefined): void {
  if (err !== undefined || headers === undefined) p.reject(err ?? new Error('ext_authz check failed'));
  else p.resolve({ status, headers, body: body === undefined ? '' : body.toString('utf8') });
}
