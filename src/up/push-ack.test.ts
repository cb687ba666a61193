import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proxiesHaveChange, syncBaseline } from './push-ack.js';
import type { ProxySyncStatus, TypeSyncStatus } from '../xds/sync-status.js';

const row = (id: string, eds: TypeSyncStatus, streamId = 1): ProxySyncStatus => ({
  id, cluster: '', streamId, connectedSince: '',
  types: { CDS: { state: 'SYNCED' }, LDS: { state: 'SYNCED' }, EDS: eds, RDS: { state: 'SYNCED' }, SDS: { state: 'NOT SENT' } },
});

test('proxiesHaveChange: every proxy must ACK an EDS sent after the baseline; leaving pods and new streams aside', () => {
  const baseline = syncBaseline([row('gw', { state: 'SYNCED', sentVersion: '10', ackedVersion: '10' }), row('old', { state: 'SYNCED', sentVersion: '10' })]);
  const none = new Set<string>();
  // Nothing pushed yet: not there.
  assert.equal(proxiesHaveChange([row('gw', { state: 'SYNCED', sentVersion: '10', ackedVersion: '10' })], baseline, none, false), false);
  // Sent, not ACKed yet.
  assert.equal(proxiesHaveChange([row('gw', { state: 'STALE', sentVersion: '11', ackedVersion: '10' })], baseline, none, false), false);
  // ACKed.
  assert.equal(proxiesHaveChange([row('gw', { state: 'SYNCED', sentVersion: '11', ackedVersion: '11' })], baseline, none, false), true);
  // The leaving pod's own sidecar is not waited for.
  const rows = [row('gw', { state: 'SYNCED', sentVersion: '11', ackedVersion: '11' }), row('old', { state: 'SYNCED', sentVersion: '10', ackedVersion: '10' })];
  assert.equal(proxiesHaveChange(rows, baseline, new Set(['old']), false), true);
  assert.equal(proxiesHaveChange(rows, baseline, none, false), false);
  // A proxy that got no new EDS counts once settled, unless STALE.
  assert.equal(proxiesHaveChange(rows, baseline, none, true), true);
  assert.equal(proxiesHaveChange([row('gw', { state: 'STALE', sentVersion: '12', ackedVersion: '11' })], baseline, none, true), false);
  // A stream opened after the change (reconnect) got the current state.
  assert.equal(proxiesHaveChange([row('gw', { state: 'SYNCED', sentVersion: '3', ackedVersion: '3' }, 2)], baseline, none, false), true);
});
