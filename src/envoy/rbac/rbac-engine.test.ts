import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvoyConfigError } from '../errors.js';
import { compileValueMatcher } from './metadata-matcher.js';
import { RbacEngine, compileRbacFilter } from './rbac-engine.js';
import type { RbacRequest } from './rbac-matchers.js';
import type { Permission, Principal } from './types.js';

function req(over: Partial<RbacRequest> = {}): RbacRequest {
  return {
    authority: 'svc:9080', method: 'GET', path: '/a/b?x=1', scheme: 'http', headers: { 'x-h': 'v1', multi: ['a', 'b'] },
    destinationIp: '10.0.0.5', destinationPort: 9080, directRemoteIp: '10.1.2.3', remoteIp: '192.0.2.9',
    peerPrincipal: 'spiffe://cluster.local/ns/foo/sa/bar', requestedServerName: 'svc.example.com', metadata: {}, ...over,
  };
}

function engine(action: 'ALLOW' | 'DENY' | 'LOG', permissions: Permission[], principals: Principal[] = [{ any: true }]): RbacEngine {
  return RbacEngine.compile({ action, policies: { p: { permissions, principals } } });
}

test('ALLOW with no policies denies everything; DENY with none allows everything', () => {
  assert.equal(RbacEngine.compile({ policies: {} }).evaluate(req()).allowed, false);
  assert.equal(RbacEngine.compile({ action: 'DENY', policies: {} }).evaluate(req()).allowed, true);
});

test('ALLOW/DENY/LOG decisions and the matched policy (first by name)', () => {
  const e = RbacEngine.compile({ action: 'DENY', policies: { b: { permissions: [{ any: true }], principals: [{ any: true }] }, a: { permissions: [{ any: true }], principals: [{ any: true }] } } });
  assert.deepEqual(e.evaluate(req()), { allowed: false, matchedPolicy: 'a', log: false });
  assert.deepEqual(engine('LOG', [{ any: true }]).evaluate(req()), { allowed: true, matchedPolicy: 'p', log: true });
  assert.equal(engine('ALLOW', [{ destinationPort: 1 }]).evaluate(req()).allowed, false);
});

test('permissions: and/or/not, header, url path without query, destination ip/port/range, SNI, metadata', () => {
  const yes = (p: Permission, r = req()) => assert.equal(engine('ALLOW', [p]).evaluate(r).allowed, true, JSON.stringify(p));
  const no = (p: Permission, r = req()) => assert.equal(engine('ALLOW', [p]).evaluate(r).allowed, false, JSON.stringify(p));
  yes({ andRules: { rules: [{ header: { name: ':method', stringMatch: { exact: 'GET' } } }, { urlPath: { path: { exact: '/a/b' } } }] } });
  no({ urlPath: { path: { exact: '/a/b?x=1' } } });
  yes({ header: { name: ':path', stringMatch: { exact: '/a/b?x=1' } } });
  yes({ header: { name: 'multi', stringMatch: { exact: 'a,b' } } });
  yes({ orRules: { rules: [{ destinationPort: 1 }, { destinationPort: 9080 }] } });
  no({ notRule: { destinationPort: 9080 } });
  yes({ destinationIp: { addressPrefix: '10.0.0.0', prefixLen: { value: 24 } } });
  yes({ destinationPortRange: { start: 9000, end: 9081 } });
  no({ destinationPortRange: { start: 9000, end: 9080 } });
  yes({ requestedServerName: { suffix: '.example.com' } });
  no({ requestedServerName: { exact: 'x' } }, req({ requestedServerName: undefined }));
  yes({ metadata: { filter: 'f', path: [{ key: 'k' }], value: { stringMatch: { exact: 'v' } } } }, req({ metadata: { f: { k: 'v' } } }));
  no({ metadata: { filter: 'f', path: [{ key: 'k' }], value: { stringMatch: { exact: 'v' } } } });
  yes({ metadata: { filter: 'f', path: [{ key: 'k' }], value: { presentMatch: true }, invert: true } });
});

test('principals: authenticated (with and without name), direct vs remote ip, header, not_id, metadata lists', () => {
  const yes = (p: Principal, r = req()) => assert.equal(engine('ALLOW', [{ any: true }], [p]).evaluate(r).allowed, true, JSON.stringify(p));
  const no = (p: Principal, r = req()) => assert.equal(engine('ALLOW', [{ any: true }], [p]).evaluate(r).allowed, false, JSON.stringify(p));
  yes({ authenticated: {} });
  no({ authenticated: {} }, req({ peerPrincipal: undefined }));
  yes({ authenticated: { principalName: { safeRegex: { regex: '.*/ns/foo/.*' } } } });
  no({ authenticated: { principalName: { exact: 'spiffe://cluster.local/ns/foo/sa/baz' } } });
  yes({ directRemoteIp: { addressPrefix: '10.1.0.0', prefixLen: { value: 16 } } });
  no({ remoteIp: { addressPrefix: '10.1.0.0', prefixLen: { value: 16 } } });
  yes({ remoteIp: { addressPrefix: '192.0.2.9', prefixLen: { value: 32 } } });
  yes({ notId: { header: { name: 'x-missing', stringMatch: { exact: 'v' } } } });
  no({ header: { name: 'x-missing', presentMatch: true } });
  const md = req({ metadata: { istio_authn: { 'request.auth.claims': { groups: ['a', 'b'] } } } });
  yes({ metadata: { filter: 'istio_authn', path: [{ key: 'request.auth.claims' }, { key: 'groups' }], value: { listMatch: { oneOf: { stringMatch: { exact: 'b' } } } } } }, md);
  no({ metadata: { filter: 'istio_authn', path: [{ key: 'request.auth.claims' }, { key: 'groups' }], value: { stringMatch: { exact: 'b' } } } }, md);
});

test('value matchers: null, present, bool, double, or', () => {
  assert.equal(compileValueMatcher({ nullMatch: {} }, 'v')(null), true);
  assert.equal(compileValueMatcher({ nullMatch: {} }, 'v')(undefined), false);
  assert.equal(compileValueMatcher({ presentMatch: false }, 'v')(undefined), true);
  assert.equal(compileValueMatcher({ boolMatch: true }, 'v')(true), true);
  assert.equal(compileValueMatcher({ doubleMatch: { range: { start: 1, end: 2 } } }, 'v')(1.5), true);
  assert.equal(compileValueMatcher({ orMatch: { valueMatchers: [{ boolMatch: true }, { doubleMatch: { exact: 3 } }] } }, 'v')(3), true);
});

test('shadow rules are compiled separately; invalid configs throw EnvoyConfigError', () => {
  const f = compileRbacFilter({ shadowRules: { action: 'DENY', policies: {} }, shadowRulesStatPrefix: 'p_' });
  assert.equal(f.engine, undefined);
  assert.equal(f.shadowPrefix, 'p_');
  assert.throws(() => RbacEngine.compile({ policies: { p: { permissions: [], principals: [{ any: true }] } } }), EnvoyConfigError);
  assert.throws(() => RbacEngine.compile({ policies: { p: { permissions: [{}], principals: [{ any: true }] } } }), EnvoyConfigError);
  assert.throws(() => RbacEngine.compile({ policies: { p: { permissions: [{ urlPath: { path: { safeRegex: { regex: '(' } } } }], principals: [{ any: true }] } } }), EnvoyConfigError);
});
