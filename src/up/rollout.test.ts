import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRollout, resolveStrategy, scaledValue, type DesiredDeployment, type InstanceView, type RolloutStep } from './rollout.js';

const inst = (id: string, slot: number, specKey: string, o: Partial<InstanceView> = {}): InstanceView => ({
  id, slot, specKey, serving: true, ready: true, retiring: false, ...o,
});
const rolling = (replicas: number, specKey: string, maxSurge: number | string = '25%', maxUnavailable: number | string = '25%'): DesiredDeployment => ({
  replicas, specKey, strategy: resolveStrategy({ type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } }, replicas),
});

test('scaledValue / resolveStrategy: Kubernetes rounding (surge up, unavailable down) and defaults', () => {
  assert.equal(scaledValue('25%', 3, true), 1);
  assert.equal(scaledValue('25%', 3, false), 0);
  assert.equal(scaledValue('50%', 5, true), 3);
  assert.equal(scaledValue('50%', 5, false), 2);
  assert.equal(scaledValue(2, 10, false), 2);
  assert.deepEqual(resolveStrategy(undefined, 1), { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 });
  assert.deepEqual(resolveStrategy(undefined, 4), { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 1 });
  assert.deepEqual(resolveStrategy({ type: 'Recreate' }, 3), { type: 'Recreate' });
  // Both resolving to 0 (10 % of 1 rounded down, 0 surge): unavailable becomes 1, as ResolveFenceposts does.
  assert.deepEqual(resolveStrategy({ rollingUpdate: { maxSurge: 0, maxUnavailable: '10%' } }, 1), { type: 'RollingUpdate', maxSurge: 0, maxUnavailable: 1 });
});

test('planRollout: a new Deployment starts every slot; ready instances are promoted', () => {
  assert.deepEqual(planRollout(rolling(2, 'k1'), []), [{ kind: 'start', slot: 0 }, { kind: 'start', slot: 1 }]);
  const starting = [inst('a', 0, 'k1', { serving: false, ready: true }), inst('b', 1, 'k1', { serving: false, ready: false })];
  assert.deepEqual(planRollout(rolling(2, 'k1'), starting), [{ kind: 'promote', id: 'a', replaces: undefined }]);
});

test('planRollout: one replica, default strategy: surge a new instance, promote it when ready (old retires in the same push)', () => {
  const d = rolling(1, 'k2');
  assert.deepEqual(planRollout(d, [inst('old', 0, 'k1')]), [{ kind: 'start', slot: 0 }]);
  // Not ready yet: nothing to do, the old one keeps serving.
  assert.deepEqual(planRollout(d, [inst('old', 0, 'k1'), inst('new', 0, 'k2', { serving: false, ready: false })]), []);
  assert.deepEqual(planRollout(d, [inst('old', 0, 'k1'), inst('new', 0, 'k2', { serving: false })]), [{ kind: 'promote', id: 'new', replaces: 'old' }]);
});

test('planRollout: three replicas, maxUnavailable 0 (surge 1): one slot at a time, never fewer than 3 ready', () => {
  const d = rolling(3, 'k2', '25%', 0);
  const old = [inst('o0', 0, 'k1'), inst('o1', 1, 'k1'), inst('o2', 2, 'k1')];
  assert.deepEqual(planRollout(d, old), [{ kind: 'start', slot: 0 }]);
  const surging = [...old, inst('n0', 0, 'k2', { serving: false, ready: false })];
  assert.deepEqual(planRollout(d, surging), []);
  const promoted = [inst('o0', 0, 'k1', { serving: false, retiring: true }), inst('n0', 0, 'k2'), old[1]!, old[2]!];
  // The terminating o0 does not count against the surge: slot 1 starts.
  assert.deepEqual(planRollout(d, promoted), [{ kind: 'start', slot: 1 }]);
});

test('planRollout: maxSurge 0 takes an old instance out first (within maxUnavailable), then fills the slot', () => {
  const d = rolling(3, 'k2', 0, 1);
  const old = [inst('o0', 0, 'k1'), inst('o1', 1, 'k1'), inst('o2', 2, 'k1')];
  assert.deepEqual(planRollout(d, old), [{ kind: 'retire', id: 'o0', reason: 'outdated' }, { kind: 'start', slot: 0 }]);
  // While slot 0 is unavailable, slot 1 must wait.
  const next = [inst('o0', 0, 'k1', { serving: false, retiring: true }), inst('n0', 0, 'k2', { serving: false, ready: false }), old[1]!, old[2]!];
  assert.deepEqual(planRollout(d, next), []);
});

test('planRollout: Recreate retires everything old and starts new pods only when all old ones are gone', () => {
  const d: DesiredDeployment = { replicas: 2, specKey: 'k2', strategy: { type: 'Recreate' } };
  const old = [inst('o0', 0, 'k1'), inst('o1', 1, 'k1')];
  assert.deepEqual(planRollout(d, old), [
    { kind: 'retire', id: 'o0', reason: 'outdated' },
    { kind: 'retire', id: 'o1', reason: 'outdated' },
  ]);
  assert.deepEqual(planRollout(d, old.map((i) => ({ ...i, serving: false, retiring: true }))), []);
  assert.deepEqual(planRollout(d, []), [{ kind: 'start', slot: 0 }, { kind: 'start', slot: 1 }]);
});

test('planRollout: scale down retires the highest slots; scale up starts the new slots; a deleted Deployment retires all', () => {
  const three = [inst('p0', 0, 'k'), inst('p1', 1, 'k'), inst('p2', 2, 'k')];
  assert.deepEqual(planRollout(rolling(1, 'k'), three), [
    { kind: 'retire', id: 'p2', reason: 'scaled-down' },
    { kind: 'retire', id: 'p1', reason: 'scaled-down' },
  ]);
  assert.deepEqual(planRollout(rolling(3, 'k'), [three[0]!]), [{ kind: 'start', slot: 1 }, { kind: 'start', slot: 2 }]);
  const steps: RolloutStep[] = planRollout(undefined, three);
  assert.deepEqual(steps.map((s) => s.kind), ['retire', 'retire', 'retire']);
});

test('planRollout: a rollout superseded mid-way drops the unfinished new instance', () => {
  const steps = planRollout(rolling(1, 'k3'), [inst('old', 0, 'k1'), inst('mid', 0, 'k2', { serving: false, ready: false })]);
  assert.deepEqual(steps, [{ kind: 'retire', id: 'mid', reason: 'superseded' }, { kind: 'start', slot: 0 }]);
});
