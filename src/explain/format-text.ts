/**
 * The text report of `weft explain`: a verdict line, then sections (Request, Outbound, one per
 * destination with its Inbound side, Config notes), each a list of aligned `key: value` lines; a
 * value of several lines continues under the value column.
 */
import type { ExplainedDestination, ExplainedInbound, ExplainedOutbound, Explanation } from './types.js';
import { formatShare } from './verdict.js';

type Row = readonly [string, string | readonly string[]];

interface Section {
  readonly title: string;
  readonly rows: readonly Row[];
}

/** Renders an explanation as text. */
export function formatExplanation(e: Explanation): string {
  const sections: Section[] = [requestSection(e), outboundSection(e.outbound, e.source.pod, e.source.namespace, e.source.role)];
  e.destinations.forEach((d, i) => {
    sections.push(destinationSection(d, i, e.destinations.length));
    if (d.inbound) sections.push(inboundSection(d.inbound));
  });
  const out = [`Verdict: ${e.verdict}`, '', ...sections.map(renderSection)];
  if (e.notes.length > 0) {
    out.push(['Config notes', ...e.notes.map((n) => `  ${n.level} [${n.code}]${n.resource ? ` (${n.resource})` : ''} ${n.message}`)].join('\n') + '\n');
  } else out.push('Config notes\n  none: no ignored or conflicting config on this path\n');
  if (e.unsupportedFields.length > 0) {
    out.push(['Unsupported fields (accepted, not enforced by Weft: WFT0100)', ...e.unsupportedFields.map((u) => `  ${u.resource} ${u.field}${u.source ? ` (${u.source})` : ''}: ${u.reason}`)].join('\n') + '\n');
  }
  return out.join('\n');
}

function renderSection(s: Section): string {
  const width = Math.max(0, ...s.rows.map(([k]) => k.length)) + 2;
  const lines = [s.title];
  for (const [key, value] of s.rows) {
    const values = typeof value === 'string' ? [value] : value.length > 0 ? value : ['none'];
    lines.push(`  ${`${key}:`.padEnd(width)}${values[0]}`);
    for (const more of values.slice(1)) lines.push(`  ${''.padEnd(width)}${more}`);
  }
  return `${lines.join('\n')}\n`;
}

function requestSection(e: Explanation): Section {
  const headers = Object.entries(e.request.headers).map(([k, v]) => `${k}: ${v}`);
  const s = e.source;
  return {
    title: 'Request',
    rows: [
      ['request', `${e.request.method} ${e.request.url}`],
      ['authority', e.request.authority],
      ['headers', headers],
      ['from', `${s.pod}.${s.namespace} (${s.role}, ${s.address})`],
      ['identity', s.identity],
    ],
  };
}

function outboundSection(o: ExplainedOutbound, pod: string, ns: string, role: string): Section {
  const rows: Row[] = [];
  if (o.listener) rows.push(['listener', `${o.listener}${o.filterChain ? ` (filter chain ${o.filterChain})` : ''}`]);
  if (o.routeConfig) rows.push(['route config', o.routeConfig]);
  if (o.virtualHost) rows.push(['virtual host', o.virtualHost]);
  if (o.route) rows.push(['route', `#${o.route.index}${o.route.name ? ` ${o.route.name}` : ''}`]);
  const vs = o.virtualService;
  if (vs) rows.push(['VirtualService', `${vs.name} rule ${vs.rule}${vs.match >= 0 ? ` (match ${vs.match})` : ' (no match conditions)'}`]);
  else if (o.route) rows.push(['VirtualService', catchAll(o)]);
  if (o.notMatched.length > 0 || vs) {
    rows.push(['not matched', o.notMatched.map((m) => (m.virtualService ? `${m.virtualService} rule ${m.rule}${m.match !== undefined && m.match >= 0 ? ` match ${m.match}` : ''}: ${m.reason}` : m.reason))]);
  }
  switch (o.action) {
    case 'error':
      rows.push(['result', `${o.error?.code}: ${o.error?.message}`]);
      break;
    case 'redirect':
      rows.push(['result', `redirect ${o.redirect?.status} to ${o.redirect?.location}`]);
      break;
    case 'direct-response':
      rows.push(['result', `direct response ${o.directResponse?.status}${o.directResponse?.body ? ` ${JSON.stringify(o.directResponse.body)}` : ''}`]);
      break;
    case 'tcp':
      rows.push(['result', 'TCP proxy (no HTTP routing)']);
      break;
    case 'route':
      rows.push(['timeout', o.timeoutMs ? `${o.timeoutMs} ms` : 'disabled']);
      rows.push(['retries', retries(o)]);
      break;
  }
  if (o.action !== 'error') {
    rows.push(['fault', fault(o)]);
    rows.push(['mirror', o.mirrors.map((m) => `${m.cluster} (${m.percent}%)`)]);
  }
  if (o.rewrite) rows.push(['rewrite', [o.rewrite.path ? `path ${o.rewrite.path}` : '', o.rewrite.authority ? `authority ${o.rewrite.authority}` : ''].filter(Boolean).join(', ')]);
  if (o.headersAdded) rows.push(['headers added', o.headersAdded]);
  if (o.headersRemoved) rows.push(['headers removed', [o.headersRemoved.join(', ')]]);
  if (o.hashPolicy) rows.push(['hash on', o.hashPolicy.join(', ')]);
  if (o.authorization) rows.push(['authorization', `${o.authorization.decision}: ${o.authorization.detail}`]);
  return { title: `Outbound (${role} ${pod}.${ns})`, rows };
}

function catchAll(o: ExplainedOutbound): string {
  if (o.virtualHost === 'block_all') return 'none (the REGISTRY_ONLY catch-all virtual host)';
  if (o.virtualHost === 'allow_any') return 'none (the ALLOW_ANY catch-all virtual host)';
  return o.route?.name === 'default' ? 'none (the default route of the service)' : 'none';
}

function retries(o: ExplainedOutbound): string {
  const r = o.retries;
  if (!r || r.attempts === 0) return `off${r?.offReason ? ` (${r.offReason})` : ''}`;
  const codes = r.retriableStatusCodes.length > 0 ? `, retriable status ${r.retriableStatusCodes.join(',')}` : '';
  const perTry = r.perTryTimeoutMs !== undefined ? `${r.perTryTimeoutMs} ms` : 'the route timeout';
  return `${r.attempts} attempts, retryOn ${r.retryOn}${codes}, per-try timeout ${perTry}`;
}

function fault(o: ExplainedOutbound): string | string[] {
  const f = o.fault;
  if (!f) return 'none';
  const out: string[] = [];
  if (f.delay) out.push(`delay ${f.delay.ms} ms for ${f.delay.percent}% of requests`);
  if (f.abort) out.push(`abort with ${f.abort.httpStatus !== undefined ? `HTTP ${f.abort.httpStatus}` : `gRPC status ${f.abort.grpcStatus}`} for ${f.abort.percent}% of requests`);
  return out;
}

function destinationSection(d: ExplainedDestination, i: number, n: number): Section {
  const what = d.host ? `${d.host}:${d.port}${d.subset ? ` subset ${d.subset}` : ''}` : d.cluster;
  const rows: Row[] = [['cluster', d.cluster], ['weight', `${d.weight} (${formatShare(d.share)} of requests)`]];
  if (d.note) rows.push(['note', d.note]);
  if (d.host) {
    const labels = d.subsetLabels ? ` (subset ${d.subset}: ${Object.entries(d.subsetLabels).map(([k, v]) => `${k}=${v}`).join(',')})` : '';
    rows.push(['DestinationRule', d.destinationRule ? `${d.destinationRule}${labels}` : 'none']);
  }
  if (d.lbPolicy) rows.push(['LB policy', `${d.lbPolicy} (${d.lbSource})`]);
  if (d.host || d.endpoints.length > 0) {
    rows.push(['endpoints', d.endpoints.map((e) => `${e.address}:${e.port}  ${e.health}${e.workload ? `  ${e.workload}.${e.namespace}` : ''}${e.weight !== 1 ? `  weight ${e.weight}` : ''}`)]);
  }
  if (d.tls) {
    const detail = [d.tls.sni ? `SNI ${d.tls.sni}` : '', d.tls.subjectAltNames ? `SAN ${d.tls.subjectAltNames.join(', ')}` : ''].filter(Boolean);
    rows.push(['TLS', [`${d.tls.mode} (${d.tls.source})`, ...detail]]);
  }
  return { title: `Destination${n > 1 ? ` ${i + 1} of ${n}` : ''}: ${what}`, rows };
}

function inboundSection(b: ExplainedInbound): Section {
  const pa = b.peerAuthentication;
  const paText = pa.policy ? `${pa.mode} (${pa.scope === 'mesh' ? 'mesh-wide' : pa.scope === 'port' ? 'port-level' : `${pa.scope}-wide`} policy ${pa.policy})` : `${pa.mode} (no policy: the default)`;
  const rows: Row[] = [];
  if (b.listener) rows.push(['listener', `${b.listener}${b.filterChain ? ` (filter chain ${b.filterChain})` : ''}`]);
  rows.push(['PeerAuthentication', paText]);
  rows.push(['peer identity', b.peerIdentity ?? 'none (plaintext)']);
  if (b.authorization) {
    const a = b.authorization;
    rows.push(['authorization', `${a.decision}: ${a.detail}`]);
  }
  if (b.cluster) rows.push(['cluster', b.cluster]);
  if (b.problem) rows.push(['problem', b.problem]);
  return { title: `Inbound (sidecar ${b.pod}.${b.namespace} at ${b.address}:${b.port})`, rows };
}
