/**
 * Issue 11 (Deliver 8): a pipelined HTTP/1.1 request that fails to parse must not discard the
 * response to the valid request before it, which did run upstream. Real sidecar (inbound
 * listener) in front of a real app, raw sockets: one write carries a valid GET (plus, in the
 * second case, a second valid GET) and then a malformed request. Envoy's HTTP/1 codec handles
 * pipelined requests one at a time, so the bad one is only seen after the earlier responses were
 * written; then it answers 400 and closes. Expected on the wire: every earlier response complete,
 * in order, then the 400, then the connection closes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { eventually, listen, rawRequest, service, startAuthzMesh, statusOf, type AuthzMesh } from '../security/authz/fixture.js';

const POD = '127.77.95.10';
const APP = '127.77.95.11';
const PORT = 8000;
const H = `Host: slow.default.svc.cluster.local:${PORT}`;
let mesh: AuthzMesh;
/** Paths the app served, in order. */
const served: string[] = [];

before(async () => {
  mesh = await startAuthzMesh({ 'registry.yaml': service('slow', PORT, [{ ip: POD, sa: 'slow' }]) });
  // The app answers after 150 ms, so the bad request is parsed while the first is still upstream.
  const app = http.createServer((req, res) => {
    setTimeout(() => {
      served.push(req.url ?? '');
      const body = `served ${req.url}`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }, 150);
  });
  await listen(mesh.own(app), APP, PORT);
  await mesh.sidecar('slow', POD, APP, 'slow', { app: 'slow', 'security.istio.io/tlsMode': 'istio' });
  await eventually(() => rawRequest(POD, PORT, `GET /ready HTTP/1.1\r\n${H}\r\nConnection: close\r\n\r\n`), (r) => statusOf(r) === 200, 'inbound ready');
});

after(async () => {
  await mesh?.stop();
});

/** Writes `raw` on a new connection; resolves with what was read and whether the proxy closed it (within `ms`). */
function exchange(raw: string, ms: number): Promise<{ data: string; closedByProxy: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(PORT, POD);
    let data = '';
    let closedByProxy = false;
    const timer = setTimeout(() => s.destroy(), ms);
    s.on('data', (d: Buffer) => (data += d.toString('latin1')));
    s.on('end', () => (closedByProxy = true));
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closedByProxy });
    });
    s.on('error', () => undefined);
    s.write(Buffer.from(raw, 'latin1'));
  });
}

/** Status lines and bodies of the responses in a raw stream, in order. */
function responses(raw: string): { status: number; body: string }[] {
  const out: { status: number; body: string }[] = [];
  let rest = raw;
  for (;;) {
    const m = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/.exec(rest);
    if (!m) return out;
    const len = Number(/(?:^|\r\n)content-length: *(\d+)/i.exec(m[2]!)?.[1] ?? 0);
    const start = m[0].length;
    out.push({ status: Number(m[1]), body: rest.slice(start, start + len) });
    rest = rest.slice(start + len);
  }
}

for (const valid of [['/first'], ['/one', '/two']]) {
  test(`pipelined: ${valid.length} valid request(s) then a malformed one → ${valid.map(() => '200').join(', ')}, then 400 and close`, async () => {
    served.length = 0;
    const raw = valid.map((p) => `GET ${p} HTTP/1.1\r\n${H}\r\n\r\n`).join('') + `GET /bad\x01path HTTP/1.1\r\n${H}\r\n\r\n`;
    const { data: got, closedByProxy } = await exchange(raw, 5000);
    const rs = responses(got);
    assert.deepEqual(rs.map((r) => r.status), [...valid.map(() => 200), 400], JSON.stringify(got));
    assert.deepEqual(served, valid, 'the app served each valid request once');
    assert.deepEqual(rs.slice(0, valid.length).map((r) => r.body), valid.map((p) => `served ${p}`));
    assert.ok(closedByProxy, 'the proxy closes the connection after the 400');
  });
}
