/**
 * VirtualService fields the field-support registry (src/config/field-support/) marks enforced and
 * no other test proved: each one translated and replayed through the simulator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOKINFO, BOOKINFO_DESTINATION_RULES, clusterOf, expectOk, resourcesFor, snapshotOf } from './testing/bookinfo-sim.js';

const REVIEWS_VS = (http: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
${http}`;
const res = (http: string) => resourcesFor(snapshotOf(`${BOOKINFO}---\n${BOOKINFO_DESTINATION_RULES}---\n${REVIEWS_VS(http)}`), 'productpage-v1');
const sub = (s: string) => `outbound|9080|${s}|reviews.default.svc.cluster.local`;
const to = (s: string) => `    route:\n    - destination: {host: reviews, subset: ${s}}\n`;

test('redirect.port and redirect.scheme set the Location header', () => {
  const r = res(`  - redirect: {uri: /moved, port: 9999, scheme: https}\n`);
  assert.deepEqual(expectOk(r, { destination: 'reviews:9080', path: '/x' }).action, { kind: 'redirect', status: 301, location: 'https://reviews:9999/moved' });
});

test('directResponse.body.bytes is sent decoded', () => {
  const r = res(`  - directResponse: {status: 200, body: {bytes: ${Buffer.from('hello bytes').toString('base64')}}}\n`);
  assert.deepEqual(expectOk(r, { destination: 'reviews:9080', path: '/' }).action, { kind: 'direct-response', status: 200, body: 'hello bytes' });
});

test('match.port: a block for another port never matches', () => {
  const r = res(`  - match: [{port: 9999}]\n${to('v3')}  - match: [{port: 9080, uri: {prefix: /p}}]\n${to('v2')}${to('v1').replace('    route', '  - route')}`);
  assert.equal(clusterOf(expectOk(r, { destination: 'reviews:9080', path: '/p' })), sub('v2'));
  assert.equal(clusterOf(expectOk(r, { destination: 'reviews:9080', path: '/q' })), sub('v1'));
});

test('deprecated mirrorPercent and mirror_percent become mirrorPercentage', () => {
  for (const key of ['mirrorPercent', 'mirror_percent']) {
    const r = res(`${to('v1').replace('    route', '  - route')}    mirror: {host: reviews, subset: v2}\n    ${key}: 30\n`);
    assert.deepEqual(expectOk(r, { destination: 'reviews:9080', path: '/' }).mirrors, [{ cluster: sub('v2'), percent: 30 }]);
  }
});

test('retries.retryIgnorePreviousHosts: false drops the previous-hosts predicate Istio adds by default', () => {
  const base = `${to('v1').replace('    route', '  - route')}    retries: {attempts: 2, retryOn: 5xx`;
  const on = expectOk(res(`${base}}\n`), { destination: 'reviews:9080', path: '/' }).retryPolicy;
  const off = expectOk(res(`${base}, retryIgnorePreviousHosts: false}\n`), { destination: 'reviews:9080', path: '/' }).retryPolicy;
  assert.ok((on?.retryHostPredicate ?? []).length > 0, JSON.stringify(on));
  assert.equal((off?.retryHostPredicate ?? []).length, 0, JSON.stringify(off));
});
