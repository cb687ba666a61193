import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncTracker, syncState } from './sync-status.js';
import { TypeUrl } from '../envoy/type-url.js';

test('state follows istioctl: NOT SENT, STALE until ACKed, SYNCED', () => {
  assert.equal(syncState(undefined, undefined), 'NOT SENT');
  assert.equal(syncState(undefined, '3'), 'NOT SENT');
  assert.equal(syncState('4', '3'), 'STALE');
  assert.equal(syncState('4', undefined), 'STALE');
  assert.equal(syncState('4', '4'), 'SYNCED');
});

test('tracker records sends, ACKs and NACKs per type', () => {
  const t = new SyncTracker('sidecar~127.0.0.2~a.ns~ns.svc.cluster.local', 'a.ns', 7);
  assert.equal(t.state(TypeUrl.Cluster), 'NOT SENT');
  t.reported(TypeUrl.Cluster, '2');
  assert.equal(t.state(TypeUrl.Cluster), 'NOT SENT');
  t.sent(TypeUrl.Cluster, '5', 'n5', 3);
  assert.equal(t.state(TypeUrl.Cluster), 'STALE');
  t.acked(TypeUrl.Cluster, '5');
  assert.equal(t.state(TypeUrl.Cluster), 'SYNCED');
  t.sent(TypeUrl.Cluster, '6', 'n6', 3);
  t.nacked(TypeUrl.Cluster, '6', 'bad cluster');
  assert.equal(t.state(TypeUrl.Cluster), 'STALE');

  const row = t.row();
  assert.equal(row.id, 'sidecar~127.0.0.2~a.ns~ns.svc.cluster.local');
  assert.equal(row.cluster, 'a.ns');
  assert.equal(row.streamId, 7);
  assert.equal(row.types.CDS.state, 'STALE');
  assert.equal(row.types.CDS.sentVersion, '6');
  assert.equal(row.types.CDS.ackedVersion, '5');
  assert.equal(row.types.CDS.nackVersion, '6');
  assert.equal(row.types.CDS.nackMessage, 'bad cluster');
  assert.equal(row.types.CDS.resourceCount, 3);
  assert.deepEqual(row.types.LDS, { state: 'NOT SENT' });
  assert.deepEqual(row.types.SDS, { state: 'NOT SENT' });
});
