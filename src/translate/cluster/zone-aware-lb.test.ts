/**
 * zoneAwareLbSetting translation (zone-aware-lb.ts): regions as priorities (the caller's region 0,
 * a `failover` rule's `to` region next), zoneAwareLbConfig with Envoy's default minClusterSize.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LocalityLbEndpoints } from '../../envoy/types.js';
import { applyZoneAwarePriorities, canonicalName, zoneAwareSettingFor } from './zone-aware-lb.js';

const g = (region: string, zone: string): LocalityLbEndpoints => ({ locality: { region, zone }, lbEndpoints: [] });
const priorities = (out: LocalityLbEndpoints[]) => out.map((x) => `${x.locality?.region}/${x.locality?.zone}:${x.priority ?? 0}`);

describe('zoneAwareLbSetting translation', () => {
  it('zone-aware priorities: every zone of the caller region at 0, other regions below', () => {
    const out = applyZoneAwarePriorities([g('r1', 'a'), g('r1', 'b'), g('r2', 'c'), g('r3', 'd')], 'r1/a', { enabled: true });
    assert.deepEqual(priorities(out), ['r1/a:0', 'r1/b:0', 'r2/c:1', 'r3/d:1']);
  });

  it('zone-aware failover: the rule\'s to region comes first among the other regions', () => {
    const out = applyZoneAwarePriorities([g('r2', 'c'), g('r3', 'd'), g('r1', 'b')], 'r1/a', { enabled: true, failover: [{ from: 'r1', to: 'r3' }] });
    assert.deepEqual(priorities(out), ['r2/c:2', 'r3/d:1', 'r1/b:0']);
  });

  it('only enabled: true turns it on; the canonical name follows Istio\'s label precedence', () => {
    assert.equal(zoneAwareSettingFor({ zoneAwareLbSetting: { minClusterSize: 2 } }), undefined);
    assert.deepEqual(zoneAwareSettingFor({ zoneAwareLbSetting: { enabled: true } }), { enabled: true });
    assert.equal(canonicalName({ app: 'a', 'app.kubernetes.io/name': 'b' }), 'b');
    assert.equal(canonicalName({ app: 'a', 'service.istio.io/canonical-name': 'c', 'app.kubernetes.io/name': 'b' }), 'c');
  });
});
