import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { JwtAuthenticator, type AuthnOutcome } from './jwt-authenticator.js';
import { forgetRemoteKeySources } from './jwks-cache.js';
import type { JwtAuthentication, JwtProvider } from './types.js';
import { authnAttributes } from './authn-attributes.js';

const ISS = 'testing@secure.istio.io';
let key: CryptoKey;
let otherKey: CryptoKey;
let jwk: JWK;
let server: http.Server;
let port = 0;
let served = 0;
let mode: 'ok' | 'garbage' | 'hang' = 'ok';

before(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  key = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  server = http.createServer((req, res) => {
    served++;
    if (mode === 'hang') return;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(mode === 'garbage' ? 'not json' : JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

after(() => {
  server.closeAllConnections();
  server.close();
  forgetRemoteKeySources();
});

function sign(claims: Record<string, unknown>, k: CryptoKey = key, exp = '1h'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISS).setSubject(ISS).setIssuedAt().setExpirationTime(exp).sign(k);
}

function config(provider: JwtProvider): JwtAuthentication {
  return { providers: { [ISS]: { issuer: ISS, ...provider } }, rules: [{ match: { prefix: '/' }, requires: { requiresAny: { requirements: [{ providerName: ISS }, { allowMissing: {} }] } } }], bypassCorsPreflight: true };
}

function run(a: JwtAuthenticator, headers: Record<string, string>, path = '/'): Promise<AuthnOutcome> {
  return Promise.resolve(a.authenticate({ authority: 'x', method: 'GET', path, scheme: 'http', headers }));
}

const inline = () => ({ localJwks: { inlineString: JSON.stringify({ keys: [jwk] }) } });

test('valid token passes with its payload; missing token passes (synchronously) without one', async () => {
  const a = JwtAuthenticator.compile(config(inline()));
  const ok = await run(a, { authorization: `Bearer ${await sign({ groups: ['g'] })}` });
  assert.ok(ok.ok && ok.verified.length === 1 && ok.verified[0]!.payload.sub === ISS);
  const missing = a.authenticate({ authority: 'x', method: 'GET', path: '/', scheme: 'http', headers: {} });
  assert.ok(!(missing instanceof Promise));
  assert.deepEqual(missing, { ok: true, verified: [] });
});

test('invalid tokens fail with Envoy statuses', async () => {
  const a = JwtAuthenticator.compile(config(inline()));
  const status = async (h: Record<string, string>) => {
    const r = await run(a, h);
    return r.ok ? 'OK' : r.status;
  };
  assert.equal(await status({ authorization: `Bearer ${await sign({}, otherKey)}` }), 'JWT_VERIFICATION_FAIL');
  assert.equal(await status({ authorization: 'Bearer deadbeef' }), 'JWT_BAD_FORMAT');
  assert.equal(await status({ authorization: `Bearer ${await sign({}, key, '-2h')}` }), 'JWT_EXPIRED');
  const foreign = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('someone-else').sign(key);
  assert.equal(await status({ authorization: `Bearer ${foreign}` }), 'JWT_UNKNOWN_ISSUER');
});

test('audiences: the token must carry one of the provider audiences', async () => {
  const a = JwtAuthenticator.compile(config({ ...inline(), audiences: ['bookstore'] }));
  assert.equal((await run(a, { authorization: `Bearer ${await sign({ aud: ['x', 'bookstore'] })}` })).ok, true);
  const r = await run(a, { authorization: `Bearer ${await sign({ aud: 'x' })}` });
  assert.ok(!r.ok && r.status === 'JWT_AUDIENCE_NOT_ALLOWED');
});

test('fromHeaders with prefix and fromParams; defaults are Authorization Bearer and access_token', async () => {
  const a = JwtAuthenticator.compile(config({ ...inline(), fromHeaders: [{ name: 'x-jwt', valuePrefix: 'Token ' }], fromParams: ['tok'] }));
  const t = await sign({});
  assert.equal((await run(a, { 'x-jwt': `Token ${t}` })).ok, true);
  assert.equal((await run(a, {}, `/p?a=1&tok=${t}`)).ok, true);
  assert.deepEqual(await run(a, { authorization: `Bearer ${t}` }), { ok: true, verified: [] }, 'Authorization is not a location here');
  const d = JwtAuthenticator.compile(config(inline()));
  assert.equal((await run(d, {}, `/p?access_token=${t}`)).ok, true);
});

test('remote JWKS is fetched once and cached; unreachable or invalid JWKS fails closed without throwing', async () => {
  forgetRemoteKeySources();
  served = 0;
  mode = 'ok';
  const a = JwtAuthenticator.compile(config({ remoteJwks: { httpUri: { uri: `http://127.0.0.1:${port}/jwks`, timeout: { seconds: 1 } } } }));
  const t = await sign({});
  for (let i = 0; i < 5; i++) assert.equal((await run(a, { authorization: `Bearer ${t}` })).ok, true);
  assert.equal(served, 1);

  forgetRemoteKeySources();
  mode = 'garbage';
  const g = JwtAuthenticator.compile(config({ remoteJwks: { httpUri: { uri: `http://127.0.0.1:${port}/jwks2` } } }));
  const rg = await run(g, { authorization: `Bearer ${t}` });
  assert.ok(!rg.ok && rg.status === 'JWKS_FETCH_FAIL');
  assert.deepEqual(await run(g, {}), { ok: true, verified: [] }, 'requests without a token do not need the JWKS');

  mode = 'hang';
  const h = JwtAuthenticator.compile(config({ remoteJwks: { httpUri: { uri: `http://127.0.0.1:${port}/jwks3`, timeout: { nanos: 200_000_000 } } } }));
  const rh = await run(h, { authorization: `Bearer ${t}` });
  assert.ok(!rh.ok && rh.status === 'JWKS_FETCH_FAIL');

  const down = JwtAuthenticator.compile(config({ remoteJwks: { httpUri: { uri: 'http://127.0.0.1:1/jwks' } } }));
  const rd = await run(down, { authorization: `Bearer ${t}` });
  assert.ok(!rd.ok && rd.status === 'JWKS_FETCH_FAIL');
  mode = 'ok';
});

test('istio_authn attributes: principal iss/sub, claims as lists, space-delimited scope', () => {
  const a = authnAttributes({ iss: 'i', sub: 's', aud: 'x', azp: 'web', scope: 'read write', groups: ['g1'], n: { r: 'ops' } });
  assert.equal(a['request.auth.principal'], 'i/s');
  assert.deepEqual(a['request.auth.audiences'], ['x']);
  assert.equal(a['request.auth.presenter'], 'web');
  assert.deepEqual((a['request.auth.claims'] as Record<string, unknown>)['scope'], ['read', 'write']);
  assert.deepEqual((a['request.auth.claims'] as Record<string, unknown>)['n'], { r: ['ops'] });
});

test('CORS preflight bypasses authentication', async () => {
  const a = JwtAuthenticator.compile(config(inline()));
  const r = a.authenticate({ authority: 'x', method: 'OPTIONS', path: '/', scheme: 'http', headers: { origin: 'o', 'access-control-request-method': 'GET', authorization: 'Bearer garbage' } });
  assert.deepEqual(r, { ok: true, verified: [] });
});
