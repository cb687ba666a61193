/**
 * Istio's "Authorization for HTTP traffic" task on Bookinfo-like services, end to end: real sidecars
 * with mTLS identities (`bookinfo-productpage`, `bookinfo-reviews`, …) in front of small apps;
 * productpage calls details and reviews, reviews calls ratings, through their sidecars.
 * 1. allow-nothing → 403 `RBAC: access denied`;
 * 2. productpage-viewer (GET) → the page, with "Error fetching product details/reviews";
 * 3. details-viewer and reviews-viewer (from productpage's principal) → details and reviews, with
 *    "Ratings service is currently unavailable";
 * 4. ratings-viewer (from reviews' principal) → the full page.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { eventually, listen, service, startAuthzMesh, type AuthzMesh, type Reply, type Workload } from './fixture.js';

const IP = { productpage: '127.77.1.10', details: '127.77.1.11', reviews: '127.77.1.12', ratings: '127.77.1.13' };
const APP = { productpage: '127.77.2.10', details: '127.77.2.11', reviews: '127.77.2.12', ratings: '127.77.2.13' };
const PORT = 9080;

const REGISTRY = (Object.keys(IP) as (keyof typeof IP)[]).map((n) => service(n, PORT, [{ ip: IP[n], sa: `bookinfo-${n}`, labels: { version: 'v1' } }])).join('---\n');

const policy = (name: string, spec: string) => `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: ${name}, namespace: default}\nspec:\n${spec.replace(/^/gm, '  ')}\n`;
const viewer = (app: string, from?: string) =>
  policy(`${app}-viewer`, `selector: {matchLabels: {app: ${app}}}\naction: ALLOW\nrules:\n- ${from ? `from: [{source: {principals: ["cluster.local/ns/default/sa/${from}"]}}]\n  ` : ''}to: [{operation: {methods: [GET]}}]`);

let mesh: AuthzMesh;
const w: Partial<Record<keyof typeof IP, Workload>> = {};

/** GET through a workload's sidecar; undefined on a transport error. */
function call(from: keyof typeof IP, url: string): Promise<Reply | undefined> {
  return new Promise((resolve) => {
    const wl = w[from]!;
    const u = new URL(url);
    const req = http.request({ host: wl.ip, port: wl.proxy.outboundPort(), path: url, headers: { host: u.host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(5000, () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

function apps(): http.Server[] {
  const productpage = http.createServer(async (req, res) => {
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    const details = await call('productpage', `http://details:${PORT}/details/0`);
    const reviews = await call('productpage', `http://reviews:${PORT}/reviews/0`);
    const page = [
      'The Comedy of Errors',
      details?.status === 200 ? `details: ${details.body}` : 'Error fetching product details',
      reviews?.status === 200 ? `reviews: ${reviews.body}` : 'Error fetching product reviews',
    ].join('\n');
    res.writeHead(200, { 'content-type': 'text/plain' }).end(page);
  });
  const reviews = http.createServer(async (_req, res) => {
    const ratings = await call('reviews', `http://ratings:${PORT}/ratings/0`);
    res.writeHead(200).end(ratings?.status === 200 ? `stars ${ratings.body}` : 'Ratings service is currently unavailable');
  });
  const details = http.createServer((_req, res) => res.writeHead(200).end('paperback, 200 pages'));
  const ratings = http.createServer((_req, res) => res.writeHead(200).end('****'));
  return [productpage, details, reviews, ratings];
}

before(async () => {
  mesh = await startAuthzMesh({ 'registry.yaml': REGISTRY });
  const servers = apps();
  const names = Object.keys(IP) as (keyof typeof IP)[];
  for (let i = 0; i < names.length; i++) await listen(mesh.own(servers[i]!), APP[names[i]!], PORT);
  for (const n of names) w[n] = await mesh.sidecar(n, IP[n], APP[n], `bookinfo-${n}`, { app: n, version: 'v1', 'security.istio.io/tlsMode': 'istio' });
  await eventually(() => page(), (r) => r.status === 200 && r.body.includes('****'), 'the mesh to serve the full page');
});

after(async () => {
  await mesh?.stop();
});

/** GET /productpage on productpage's sidecar (plaintext from outside the mesh; PERMISSIVE). */
function page(method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: IP.productpage, port: PORT, method, path: '/productpage', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test('step 1: allow-nothing denies everything with "RBAC: access denied"', async () => {
  await mesh.apply('allow-nothing.yaml', policy('allow-nothing', '{}'));
  const r = await eventually(() => page(), (x) => x.status === 403, 'allow-nothing');
  assert.equal(r.body, 'RBAC: access denied');
});

test('step 2: productpage-viewer allows GET; details and reviews are still denied', async () => {
  await mesh.apply('productpage-viewer.yaml', viewer('productpage'));
  const r = await eventually(() => page(), (x) => x.status === 200, 'productpage-viewer');
  assert.match(r.body, /Error fetching product details/);
  assert.match(r.body, /Error fetching product reviews/);
  assert.equal((await page('POST')).status, 403, 'only GET is allowed');
});

test('step 3: details-viewer and reviews-viewer from productpage\'s identity; ratings still denied', async () => {
  await mesh.apply('details-viewer.yaml', viewer('details', 'bookinfo-productpage'));
  await mesh.apply('reviews-viewer.yaml', viewer('reviews', 'bookinfo-productpage'));
  const r = await eventually(() => page(), (x) => x.body.includes('details: paperback') && x.body.includes('reviews:'), 'details and reviews');
  assert.match(r.body, /Ratings service is currently unavailable/);
  // Another identity (ratings' sidecar) calling details is denied.
  const other = await call('ratings', `http://details:${PORT}/details/0`);
  assert.equal(other?.status, 403);
  assert.equal(other?.body, 'RBAC: access denied');
});

test('step 4: ratings-viewer from reviews\' identity completes the page', async () => {
  await mesh.apply('ratings-viewer.yaml', viewer('ratings', 'bookinfo-reviews'));
  const r = await eventually(() => page(), (x) => x.body.includes('stars ****'), 'ratings');
  assert.doesNotMatch(r.body, /Error fetching|unavailable/);
});

test('removing the ALLOW policies restores access; a DENY policy still denies POST', async () => {
  for (const f of ['allow-nothing.yaml', 'productpage-viewer.yaml', 'details-viewer.yaml', 'reviews-viewer.yaml', 'ratings-viewer.yaml']) await mesh.remove(f);
  await mesh.apply('deny.yaml', policy('deny-post', 'selector: {matchLabels: {app: productpage}}\naction: DENY\nrules: [{to: [{operation: {methods: [POST]}}]}]'));
  await eventually(() => page('POST'), (x) => x.status === 403, 'deny-post');
  assert.equal((await page()).status, 200);
});
