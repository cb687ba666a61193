import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import type { ForwardClientCertDetails } from '../../envoy/types.js';
import type { PeerIdentity } from './peer-identity.js';
import { applyXfcc, xfccElement } from './xfcc.js';

const peer: PeerIdentity = {
  principal: 'spiffe://cluster.local/ns/default/sa/sleep', uriSans: ['spiffe://cluster.local/ns/default/sa/sleep'], dnsSans: [], certHash: 'ab'.repeat(32),
  subject: '', localPrincipal: 'spiffe://cluster.local/ns/default/sa/echo', alpn: 'istio',
};
const EL = `By=spiffe://cluster.local/ns/default/sa/echo;Hash=${'ab'.repeat(32)};Subject="";URI=spiffe://cluster.local/ns/default/sa/sleep`;
const FORGED = 'URI=spiffe://cluster.local/ns/default/sa/admin';

function run(mode: ForwardClientCertDetails | undefined, p: PeerIdentity | undefined, xfcc: string | undefined): string | string[] | undefined {
  const h: IncomingHttpHeaders = xfcc === undefined ? {} : { 'x-forwarded-client-cert': xfcc };
  applyXfcc(h, mode, p);
  return h['x-forwarded-client-cert'];
}

test('XFCC without a verified client certificate: removed in every mode but ALWAYS_FORWARD_ONLY (Envoy mutateXfccRequestHeader)', () => {
  for (const m of [undefined, 'SANITIZE', 'FORWARD_ONLY', 'APPEND_FORWARD', 'SANITIZE_SET'] as const) assert.equal(run(m, undefined, FORGED), undefined, String(m));
  assert.equal(run('ALWAYS_FORWARD_ONLY', undefined, FORGED), FORGED);
});

test('XFCC with a verified peer: SANITIZE removes, FORWARD_ONLY keeps, APPEND_FORWARD appends, SANITIZE_SET replaces', () => {
  assert.equal(run('SANITIZE', peer, FORGED), undefined);
  assert.equal(run('FORWARD_ONLY', peer, FORGED), FORGED);
  assert.equal(run('APPEND_FORWARD', peer, 'By=gw;Hash=1'), `By=gw;Hash=1,${EL}`);
  assert.equal(run('APPEND_FORWARD', peer, undefined), EL);
  assert.equal(run('SANITIZE_SET', peer, FORGED), EL);
  assert.equal(run('ALWAYS_FORWARD_ONLY', peer, FORGED), FORGED);
});

test('XFCC element: By left out when this proxy has no URI SAN (gateway certificates)', () => {
  assert.equal(xfccElement({ ...peer, localPrincipal: '' }), `Hash=${'ab'.repeat(32)};Subject="";URI=spiffe://cluster.local/ns/default/sa/sleep`);
});
