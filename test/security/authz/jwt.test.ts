/**
 * Istio's JWT task end to end ("Authorization with JWT" / "Request authentication"): a JWKS server
 * on loopback with keys made by `jose`, a RequestAuthentication on httpbin, a sleep client sidecar.
 * Valid token → 200; invalid → 401 `Jwt verification fails`; missing → 200 until an
 * AuthorizationPolicy requires `requestPrincipals` → 403; claims in `when`; payload forwarding;
 * an unreachable JWKS fails closed for tokens that need it and the proxy keeps serving.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { echoServer, eventually, listen, service, startAuthzMesh, viaSidecar, type AuthzMesh, type Reply, type Workload } from './fixture.js';

const HTTPBIN = '127.77.3.10';
const HTTPBIN_APP = '127.77.3.11';
const SLEEP = '127.77.3.12';
const JWKS = '127.77.3.13';
const ISS = 'testing@secure.istio.io';
const DEAD_ISS = 'dead@example.com';

let mesh: AuthzMesh;
let httpbin: Workload;
let sleep: Workload;
let key: CryptoKey;
let wrongKey: CryptoKey;
let jwk: JWK;
let jwksPort = 0;
let jwksHits = 0;

const requestAuthn = `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt-example, namespace: default}
spec:
  selector: {matchLabels: {app: httpbin}}
  jwtRules:
  - issuer: "${ISS}"
    jwksUri: "http://${JWKS}:PORT/jwks.json"
    outputPayloadToHeader: x-jwt-payload
  - issuer: "${DEAD_ISS}"
    jwksUri: "http://${JWKS}:1/jwks.json"
    timeout: 500ms
`;

const requirePrincipal = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: require-jwt, namespace: default}
spec:
  selector: {matchLabels: {app: httpbin}}
  action: ALLOW
  rules:
  - from: [{source: {requestPrincipals: ["${ISS}/${ISS}"]}}]
`;

const requireGroup = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: require-jwt, namespace: default}
spec:
  selector: {matchLabels: {app: httpbin}}
  action: ALLOW
  rules:
  - from: [{source: {requestPrincipals: ["${ISS}/${ISS}"]}}]
    when: [{key: "request.auth.claims[groups]", values: [group1]}]
`;

function token(claims: Record<string, unknown> = {}, k: CryptoKey = key, iss = ISS): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(iss).setSubject(iss).setIssuedAt().setExpirationTime('1h').sign(k);
}

function get(path: string, jwt?: string): Promise<Reply> {
  return viaSidecar(sleep, `http://httpbin:8000${path}`, { headers: jwt ? { authorization: `Bearer ${jwt}` } : {} });
}

before(async () => {
  const pair = await generateKeyPair('RS256');
  key = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  wrongKey = (await generateKeyPair('RS256')).privateKey;
  const jwksServer = http.createServer((_req, res) => {
    jwksHits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await listen(jwksServer, JWKS, 0);
  jwksPort = (jwksServer.address() as { port: number }).port;
  mesh = await startAuthzMesh({ 'registry.yaml': service('httpbin', 8000, [{ ip: HTTPBIN, sa: 'httpbin' }]) + '---\n' + service('sleep', 80, [{ ip: SLEEP, sa: 'sleep' }]) });
  mesh.own(jwksServer);
  await listen(mesh.own(echoServer('httpbin')), HTTPBIN_APP, 8000);
  httpbin = await mesh.sidecar('httpbin', HTTPBIN, HTTPBIN_APP, 'httpbin', { app: 'httpbin', 'security.istio.io/tlsMode': 'istio' });
  sleep = await mesh.sidecar('sleep', SLEEP, '127.77.3.14', 'sleep', { app: 'sleep', 'security.istio.io/tlsMode': 'istio' });
  await eventually(() => get('/headers'), (r) => r.status === 200, 'httpbin reachable');
  await mesh.apply('ra.yaml', requestAuthn.replace('PORT', String(jwksPort)));
  await eventually(() => get('/headers', 'deadbeef'), (r) => r.status === 401, 'RequestAuthentication in force');
});

after(async () => {
  await mesh?.stop();
});

test('a valid token passes; the payload is forwarded and the token removed', async () => {
  const r = await get('/headers', await token({ groups: ['group1'] }));
  assert.equal(r.status, 200, r.body);
  const seen = JSON.parse(r.body) as { headers: Record<string, string> };
  assert.equal(seen.headers['authorization'], undefined, 'forwardOriginalToken is false: the token is removed');
  const payload = JSON.parse(Buffer.from(seen.headers['x-jwt-payload']!, 'base64url').toString()) as { iss: string; groups: string[] };
  assert.equal(payload.iss, ISS);
  assert.deepEqual(payload.groups, ['group1']);
});

test('an invalid token gets 401 "Jwt verification fails"; a malformed one 401 too', async () => {
  const r = await get('/headers', await token({}, wrongKey));
  assert.equal(r.status, 401);
  assert.equal(r.body, 'Jwt verification fails');
  assert.match(String(r.headers['www-authenticate']), /^Bearer realm=".*", error="invalid_token"$/);
  assert.equal((await get('/headers', 'deadbeef')).status, 401);
});

test('a request without a token passes while no policy requires a principal', async () => {
  assert.equal((await get('/headers')).status, 200);
});

test('requestPrincipals required: missing token 403, valid token 200', async () => {
  await mesh.apply('authz.yaml', requirePrincipal);
  const r = await eventually(() => get('/headers'), (x) => x.status === 403, 'require-jwt');
  assert.equal(r.body, 'RBAC: access denied');
  assert.equal((await get('/headers', await token())).status, 200);
  assert.equal((await get('/headers', await token({}, wrongKey))).status, 401);
});

test('claims in when: request.auth.claims[groups]', async () => {
  await mesh.apply('authz.yaml', requireGroup);
  await eventually(async () => get('/headers', await token({ groups: ['group2'] })), (x) => x.status === 403, 'require group1');
  assert.equal((await get('/headers', await token({ groups: ['group1', 'group2'] }))).status, 200);
  await mesh.remove('authz.yaml');
  await eventually(() => get('/headers'), (x) => x.status === 200, 'policy removed');
});

test('JWKS fetched once and cached across requests', async () => {
  const before = jwksHits;
  for (let i = 0; i < 5; i++) assert.equal((await get('/headers', await token())).status, 200);
  assert.ok(jwksHits - before <= 1, `JWKS fetched ${jwksHits - before} times`);
});

test('an unreachable JWKS fails closed for its tokens and never takes the proxy down', async () => {
  const r = await get('/headers', await token({}, key, DEAD_ISS));
  assert.equal(r.status, 401);
  assert.equal(r.body, 'Jwks remote fetch is failed');
  assert.equal((await get('/headers', await token())).status, 200);
  assert.equal((await get('/headers')).status, 200);
});
