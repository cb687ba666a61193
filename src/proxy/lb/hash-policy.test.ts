/** Route hash policies: each specifier, combination, terminal, generated cookies, end to end. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { combineHashes, hashString } from './hash.js';
import { HashPolicy, type HashPolicyConfig, type HashRequestView } from './hash-policy.js';
import { HostSet } from './host.js';
import { createLoadBalancer } from './load-balancer.js';
import { makeHosts } from './testing/shared-suite.js';

/** A request view over plain data. */
function view(
  headers: Record<string, string | string[]> = {},
  extra: Partial<Omit<HashRequestView, 'header'>> = {},
): HashRequestView {
  return { header: (name) => headers[name], ...extra };
}

const hashOf = (policies: HashPolicyConfig[], v: HashRequestView) => HashPolicy.compile(policies).compute(v).hash;

describe('HashPolicy: single specifiers', () => {
  it('header: same value → same hash, other value → other hash, absent → none', () => {
    const p: HashPolicyConfig[] = [{ header: { headerName: 'X-User' } }];
    assert.equal(hashOf(p, view({ 'x-user': 'alice' })), hashString('alice'));
    assert.equal(hashOf(p, view({ 'x-user': 'alice' })), hashOf(p, view({ 'x-user': 'alice' })));
    assert.notEqual(hashOf(p, view({ 'x-user': 'alice' })), hashOf(p, view({ 'x-user': 'bob' })));
    assert.equal(hashOf(p, view({})), undefined);
    assert.equal(hashOf(p, view({ 'x-user': '' })), hashString(''), 'a present empty header still hashes');
  });

  it('header: several values hash the same in any order', () => {
    const p: HashPolicyConfig[] = [{ header: { headerName: 'x-tag' } }];
    assert.equal(hashOf(p, view({ 'x-tag': ['b', 'a'] })), hashOf(p, view({ 'x-tag': ['a', 'b'] })));
    assert.equal(hashOf(p, view({ 'x-tag': ['a'] })), hashString('a'));
  });

  it('header: :authority falls back to host (HTTP/1.1)', () => {
    const p: HashPolicyConfig[] = [{ header: { headerName: ':authority' } }];
    assert.equal(hashOf(p, view({ host: 'reviews:9080' })), hashString('reviews:9080'));
  });

  it('cookie: the named cookie value, unquoted, exact name match only', () => {
    const p: HashPolicyConfig[] = [{ cookie: { name: 'session' } }];
    assert.equal(hashOf(p, view({}, { cookie: 'a=1; session=xyz; b=2' })), hashString('xyz'));
    assert.equal(hashOf(p, view({}, { cookie: 'session="xyz"' })), hashString('xyz'));
    assert.equal(hashOf(p, view({}, { cookie: 'session2=nope;  session=xyz' })), hashString('xyz'));
    assert.equal(hashOf(p, view({}, { cookie: 'mysession=nope' })), undefined);
    assert.equal(hashOf(p, view({}, { cookie: 'session=' })), undefined, 'an empty value counts as absent');
    assert.equal(hashOf(p, view({}, { cookie: 'session=first; session=second' })), hashString('first'));
  });

  it('connectionProperties.sourceIp: the downstream IP; sourceIp false adds nothing', () => {
    assert.equal(hashOf([{ connectionProperties: { sourceIp: true } }], view({}, { sourceIp: '10.0.0.9' })), hashString('10.0.0.9'));
    assert.equal(hashOf([{ connectionProperties: { sourceIp: true } }], view()), undefined);
    assert.equal(HashPolicy.compile([{ connectionProperties: { sourceIp: false } }]).isEmpty, true);
  });

  it('queryParameter: first value, raw, exact name; a bare name hashes as empty', () => {
    const p: HashPolicyConfig[] = [{ queryParameter: { name: 'user' } }];
    assert.equal(hashOf(p, view({}, { query: 'x=1&user=al%20ice&user=bob' })), hashString('al%20ice'));
    assert.equal(hashOf(p, view({}, { query: 'username=zz&user' })), hashString(''));
    assert.equal(hashOf(p, view({}, { query: 'users=1' })), undefined);
    assert.equal(hashOf(p, view({}, {})), undefined);
  });
});

describe('HashPolicy: combining', () => {
  const a = hashString('A');
  const b = hashString('B');
  const headers = view({ 'x-a': 'A', 'x-b': 'B' });

  it('combines hashes by rotate-and-xor, in order', () => {
    const ab = hashOf([{ header: { headerName: 'x-a' } }, { header: { headerName: 'x-b' } }], headers);
    const ba = hashOf([{ header: { headerName: 'x-b' } }, { header: { headerName: 'x-a' } }], headers);
    assert.equal(ab, combineHashes(a, b));
    assert.notEqual(ab, ba);
  });

  it('duplicate policies do not cancel out', () => {
    const twice = hashOf([{ header: { headerName: 'x-a' } }, { header: { headerName: 'x-a' } }], headers);
    assert.equal(twice, combineHashes(a, a));
    assert.notEqual(twice, 0);
  });

  it('skips entries that produce nothing', () => {
    assert.equal(hashOf([{ header: { headerName: 'x-missing' } }, { header: { headerName: 'x-b' } }], headers), b);
  });

  it('terminal stops at the first entry that produced a hash, else falls through', () => {
    const p: HashPolicyConfig[] = [{ header: { headerName: 'x-a' }, terminal: true }, { header: { headerName: 'x-b' } }];
    assert.equal(hashOf(p, headers), a);
    assert.equal(hashOf(p, view({ 'x-b': 'B' })), b);
    // A terminal entry after a hash already exists also stops evaluation.
    const q: HashPolicyConfig[] = [{ header: { headerName: 'x-missing' }, terminal: true }, { header: { headerName: 'x-b' }, terminal: true }, { header: { headerName: 'x-a' } }];
    assert.equal(hashOf(q, headers), b);
  });
});

describe('HashPolicy: generated cookies', () => {
  const policy = HashPolicy.compile([{ cookie: { name: 'wsid', path: '/app', ttl: { seconds: 3600, nanos: 5 } } }]);
  const conn = { sourceIp: '10.0.0.7', sourcePort: 51234, localAddress: '10.0.0.1:15001' };

  it('generates a cookie when absent and ttl is set, and hashes its value', () => {
    const r = policy.compute(view({}, conn));
    assert.match(r.setCookie ?? '', /^wsid="[0-9a-f]{16}"; Max-Age=3600; Path=\/app; HttpOnly$/);
    const value = /"([0-9a-f]{16})"/.exec(r.setCookie!)![1]!;
    assert.equal(r.hash, hashString(value));
  });

  it('is sticky: the next request carrying the cookie hashes identically and sets nothing', () => {
    const first = policy.compute(view({}, conn));
    const value = /"([0-9a-f]{16})"/.exec(first.setCookie!)![1]!;
    const next = policy.compute(view({}, { ...conn, sourcePort: 40000, cookie: `wsid="${value}"` }));
    assert.equal(next.hash, first.hash);
    assert.equal(next.setCookie, undefined);
  });

  it('derives the value from the connection: same connection, same cookie; another, another', () => {
    const a = policy.compute(view({}, conn)).setCookie;
    assert.equal(policy.compute(view({}, conn)).setCookie, a);
    assert.notEqual(policy.compute(view({}, { ...conn, sourcePort: 51235 })).setCookie, a);
  });

  it('ttl 0 makes a session cookie; attributes are appended; no ttl means no cookie', () => {
    const session = HashPolicy.compile([{ cookie: { name: 's', ttl: { seconds: 0 }, attributes: [{ name: 'SameSite', value: 'Lax' }, { name: 'Secure' }] } }]);
    assert.match(session.compute(view({}, conn)).setCookie ?? '', /^s="[0-9a-f]{16}"; SameSite=Lax; Secure; HttpOnly$/);
    const passive = HashPolicy.compile([{ cookie: { name: 's' } }]).compute(view({}, conn));
    assert.deepEqual(passive, { hash: undefined, setCookie: undefined });
  });

  it('accepts ttl as protobufjs Long, decimal string, or proto3 JSON duration', () => {
    for (const ttl of [{ seconds: { toNumber: () => 60 } }, { seconds: '60' }, '60s', '60.5s']) {
      const p = HashPolicy.compile([{ cookie: { name: 'c', ttl } }]);
      assert.match(p.compute(view({}, conn)).setCookie ?? '', /Max-Age=60;/, JSON.stringify(ttl));
    }
  });

  it('reuses a caller-supplied result object', () => {
    const out = { hash: 1, setCookie: 'stale' };
    const r = HashPolicy.compile([{ header: { headerName: 'x' } }]).compute(view({ x: 'v' }), out);
    assert.equal(r, out);
    assert.deepEqual(out, { hash: hashString('v'), setCookie: undefined });
  });
});

describe('HashPolicy: compilation', () => {
  it('rejects malformed or unsupported entries with LB_INVALID_HASH_POLICY', () => {
    const bad: HashPolicyConfig[] = [
      {},
      { header: { headerName: '' } },
      { header: { headerName: 'a' }, cookie: { name: 'b' } },
      { cookie: { name: '' } },
      { cookie: { name: 'c', ttl: '10m' } },
      { queryParameter: { name: '' } },
      { filterState: { key: 'k' } },
      { header: { headerName: 'a', regexRewrite: { pattern: { regex: 'x' }, substitution: 'y' } } },
      { cookie: { name: 'a;b' } },
      { cookie: { name: 'c', path: '/x;Domain=evil' } },
      { cookie: { name: 'c', path: '/x\r\nX-Injected: 1' } },
      { cookie: { name: 'c', attributes: [{ name: 'Same Site' }] } },
      { header: null, cookie: { name: 'c' }, policySpecifier: 'header' },
    ];
    for (const entry of bad) assert.throws(() => HashPolicy.compile([entry]), { code: 'LB_INVALID_HASH_POLICY' }, JSON.stringify(entry));
  });

  it('reads protobufjs objects with null siblings and the policySpecifier oneof field', () => {
    const entry: HashPolicyConfig = {
      header: { headerName: 'x-a', regexRewrite: null },
      cookie: null,
      connectionProperties: null,
      queryParameter: null,
      filterState: null,
      terminal: false,
      policySpecifier: 'header',
    };
    assert.equal(hashOf([entry], view({ 'x-a': 'A' })), hashString('A'));
    assert.equal(HashPolicy.compile(undefined).isEmpty, true);
  });
});

describe('HashPolicy with the hashing balancers', () => {
  for (const policy of ['RING_HASH', 'MAGLEV'] as const) {
    it(`${policy}: the same header value always reaches the same host; values spread over hosts`, () => {
      const lb = createLoadBalancer(policy, HostSet.of(makeHosts([1, 1, 1, 1])));
      const hp = HashPolicy.compile([{ header: { headerName: 'x-user' } }]);
      const seen = new Set();
      for (let u = 0; u < 200; u++) {
        const v = view({ 'x-user': `user-${u}` });
        const host = lb.pick({ hash: hp.compute(v).hash });
        for (let k = 0; k < 5; k++) assert.equal(lb.pick({ hash: hp.compute(v).hash }), host);
        seen.add(host);
      }
      assert.equal(seen.size, 4);
    });

    it(`${policy}: a generated cookie keeps the client on its host`, () => {
      const lb = createLoadBalancer(policy, HostSet.of(makeHosts([1, 1, 1, 1, 1])));
      const hp = HashPolicy.compile([{ cookie: { name: 'sticky', ttl: { seconds: 60 } } }]);
      for (let port = 40000; port < 40050; port++) {
        const first = hp.compute(view({}, { sourceIp: '10.9.9.9', sourcePort: port, localAddress: '10.0.0.1:15001' }));
        const value = /"([0-9a-f]{16})"/.exec(first.setCookie!)![1]!;
        const host = lb.pick({ hash: first.hash });
        const later = hp.compute(view({}, { sourceIp: '10.9.9.9', sourcePort: port + 1000, cookie: `sticky="${value}"` }));
        assert.equal(lb.pick({ hash: later.hash }), host);
      }
    });
  }
});
