/**
 * End to end (issue 12), through a real ingress gateway with real JWTs (`jose`, RS256) and a real
 * JWKS server on loopback:
 * - RequestAuthentication: two rules with one issuer but different audiences and JWKS are two
 *   providers, as istiod builds them (policy_applier.go convertToEnvoyJwtConfig): a token for either
 *   passes; a token whose key and audience fit no single rule gets 401.
 * - `@request.auth.claims.group` in a gateway VirtualService match (istiod route.go
 *   translateMetadataMatch): the JWT payload routes (string or list claim), and `withoutHeaders` on
 *   a claim matches requests without it (no token, other group); a request with neither falls through.
 * - VirtualService `delegate`: a root VirtualService on the gateway delegates `/productpage` and
 *   `/reviews` to two VirtualServices with no hosts; their rules are merged under the root's prefix.
 * Loopback addresses 127.0.212.100–127.0.212.130, app and JWKS ports in 19330–19331.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { ProxyHandle } from '../../src/proxy/proxy.js';
import { echoServer, eventually, listen, service, startAuthzMesh, type AuthzMesh, type Reply } from '../security/authz/fixture.js';

const APP_PORT = 19330;
const JWKS_PORT = 19331;
const GW = '127.0.212.100';
const JWKS = '127.0.212.101';
const APPS = { pp: '127.0.212.110', ppv2: '127.0.212.111', reviews: '127.0.212.112', admin: '127.0.212.113', user: '127.0.212.114', other: '127.0.212.115' } as const;
const ISS = 'https://idp.example.com';

let mesh: AuthzMesh;
let gw: ProxyHandle;
let gwPort = 0;
let keyOne: CryptoKey;
let keyTwo: CryptoKey;

const CONFIG = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  selector: {istio: ingressgateway}
  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: edge-jwt, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  jwtRules:
  - issuer: "${ISS}"
    audiences: [one]
    jwksUri: "http://${JWKS}:${JWKS_PORT}/one.json"
  - issuer: "${ISS}"
    audiences: [two]
    jwksUri: "http://${JWKS}:${JWKS_PORT}/two.json"
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge}
spec:
  hosts: ['*']
  gateways: [edge]
  http:
  - match: [{uri: {prefix: /productpage}}]
    delegate: {name: productpage-routes}
  - match: [{uri: {prefix: /reviews}}]
    delegate: {name: reviews-routes, namespace: default}
  - match: [{uri: {prefix: /claims}, headers: {"@request.auth.claims.group": {exact: admin}}}]
    route: [{destination: {host: admin, port: {number: ${APP_PORT}}}}]
  - match: [{uri: {prefix: /claims}, withoutHeaders: {"@request.auth.claims.group": {exact: banned}}}]
    route: [{destination: {host: user, port: {number: ${APP_PORT}}}}]
  - route: [{destination: {host: other, port: {number: ${APP_PORT}}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: productpage-routes}
spec:
  http:
  - match: [{uri: {prefix: /productpage/v2}}]
    route: [{destination: {host: ppv2, port: {number: ${APP_PORT}}}}]
  - route: [{destination: {host: pp, port: {number: ${APP_PORT}}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-routes}
spec:
  http:
  - route: [{destination: {host: reviews, port: {number: ${APP_PORT}}}}]
`;

/** A request from outside the mesh to the gateway's port 80 listener. */
function external(path: string, jwt?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: 'edge.example.com', ...(jwt ? { authorization: `Bearer ${jwt}` } : {}) };
    const req = http.request({ host: GW, port: gwPort, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** The app that answered (echoServer's `name`), or `<status>: <body>` when none did. */
async function appOf(path: string, jwt?: string): Promise<string> {
  const r = await external(path, jwt);
  if (r.status !== 200) return `${r.status}: ${r.body}`;
  return (JSON.parse(r.body) as { name: string }).name;
}

function token(claims: Record<string, unknown>, key: CryptoKey, aud: string): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISS).setSubject('alice').setAudience(aud)
    .setIssuedAt().setExpirationTime('1h').sign(key);
}

before(async () => {
  const one = await generateKeyPair('RS256');
  const two = await generateKeyPair('RS256');
  keyOne = one.privateKey;
  keyTwo = two.privateKey;
  const jwks: Record<string, JWK> = {
    '/one.json': { ...(await exportJWK(one.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' },
    '/two.json': { ...(await exportJWK(two.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' },
  };
  const jwksServer = http.createServer((req, res) => {
    const k = jwks[req.url ?? ''];
    if (!k) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [k] }));
  });
  const registry = Object.entries(APPS).map(([name, ip]) => service(name, APP_PORT, [{ ip, sa: name }], false)).join('---\n');
  mesh = await startAuthzMesh({ 'registry.yaml': registry, 'edge.yaml': CONFIG });
  await listen(mesh.own(jwksServer), JWKS, JWKS_PORT);
  for (const [name, ip] of Object.entries(APPS)) await listen(mesh.own(echoServer(name)), ip, APP_PORT);
  gw = await mesh.gateway(GW);
  await eventually(async () => {
    gwPort = gw.ports().gateways.get('0.0.0.0_80') ?? 0;
    return gwPort === 0 ? '' : appOf('/claims');
  }, (a) => a === 'user', 'gateway route to the user app');
});

after(async () => {
  await mesh?.stop();
});

test('two JWT rules with one issuer are two providers: a token for either rule passes, a mixed one is 401', async () => {
  assert.equal(await appOf('/claims', await token({ group: 'admin' }, keyOne, 'one')), 'admin');
  assert.equal(await appOf('/claims', await token({ group: 'admin' }, keyTwo, 'two')), 'admin', 'the second rule (other JWKS, other audience) is in force');
  const mixed = await external('/claims', await token({ group: 'admin' }, keyOne, 'two'));
  assert.equal(mixed.status, 401, mixed.body);
  assert.match(String(mixed.headers['www-authenticate']), /error="invalid_token"/);
});

test('claim-based routing through the gateway: the JWT payload picks the route; withoutHeaders on a claim; fall-through', async () => {
  assert.equal(await appOf('/claims/x', await token({ group: 'admin' }, keyOne, 'one')), 'admin');
  assert.equal(await appOf('/claims/x', await token({ group: ['dev', 'admin'] }, keyTwo, 'two')), 'admin', 'a list claim matches one of its elements');
  assert.equal(await appOf('/claims/x', await token({ group: 'dev' }, keyOne, 'one')), 'user');
  assert.equal(await appOf('/claims/x'), 'user', 'no token: no claim, so withoutHeaders matches');
  assert.equal(await appOf('/claims/x', await token({ group: 'banned' }, keyOne, 'one')), 'other', 'neither claim rule matches: the request falls through');
  // A literal header of that name does not fake a claim.
  const forged = await new Promise<string>((resolve, reject) => {
    const req = http.request({ host: GW, port: gwPort, path: '/claims/x', headers: { host: 'edge.example.com', '@request.auth.claims.group': 'admin' }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 ? (JSON.parse(body) as { name: string }).name : `${res.statusCode}`));
    });
    req.on('error', reject);
    req.end();
  }).catch(() => 'rejected');
  assert.notEqual(forged, 'admin');
});

test('delegate: /productpage and /reviews are routed by the delegate VirtualServices, merged under the root prefixes', async () => {
  assert.equal(await appOf('/productpage'), 'pp');
  assert.equal(await appOf('/productpage/v2/index.html'), 'ppv2');
  assert.equal(await appOf('/reviews/0'), 'reviews');
  assert.equal(await appOf('/elsewhere'), 'other');
});
