import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { AdsClient, AdsClientEvents } from '../xds/ads-client.js';
import { StatsStore } from './stats/stats-store.js';
import { trackControlPlaneConnection } from './control-plane-connection.js';

test('control_plane.connected_state follows the ADS stream; loss and restore are logged once each, retries with their delay', () => {
  const ads = new EventEmitter<AdsClientEvents>();
  const store = new StatsStore();
  const lines: string[] = [];
  const gauge = trackControlPlaneConnection(ads as unknown as AdsClient, store, (l) => lines.push(l));
  assert.equal(gauge.value, 0);
  assert.match(store.renderText(), /^control_plane\.connected_state: 0$/m);
  ads.emit('disconnected', 'ECONNREFUSED', 100); // before the first connection: not a loss
  assert.deepEqual(lines, []);
  ads.emit('connected');
  assert.equal(gauge.value, 1);
  assert.match(store.renderPrometheus(), /^envoy_control_plane_connected_state 1$/m);
  ads.emit('disconnected', 'UNAVAILABLE: Connection dropped', 120);
  ads.emit('disconnected', 'ECONNREFUSED', 250);
  assert.equal(gauge.value, 0);
  ads.emit('connected');
  assert.equal(gauge.value, 1);
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /control plane connection lost \(UNAVAILABLE: Connection dropped\); keeping the last config; retrying in 120 ms/);
  assert.match(lines[1]!, /still unreachable \(ECONNREFUSED\); retrying in 250 ms/);
  assert.match(lines[2]!, /connection restored after [\d.]+ s/);
});
