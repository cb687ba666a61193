/** Where localities come from: labels, Istio's override label, the Envoy node, mesh config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentLabels, localityFromLabels, workloadLocality } from './locality.js';
import { parseNode, toNodeMessage } from '../xds/node-info.js';
import { proxyNodeFrom } from '../control/control-plane.js';
import { parseMeshConfig, MeshConfigError } from '../analyze/mesh-config-file.js';
import { DEFAULT_MESH_CONFIG } from '../config/mesh-config.js';

test('a workload locality: explicit, else topology labels, else istio-locality', () => {
  assert.equal(localityFromLabels({ 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': 'z1', 'topology.istio.io/subzone': 's1' }), 'r1/z1/s1');
  assert.equal(localityFromLabels({ 'topology.kubernetes.io/zone': 'z1' }), '/z1');
  assert.equal(localityFromLabels({ 'istio-locality': 'r2.z2' }), 'r2/z2');
  assert.equal(localityFromLabels({ app: 'x' }), '');
  assert.equal(workloadLocality('r9/z9', { 'istio-locality': 'r2.z2' }), 'r9/z9');
  assert.equal(workloadLocality(undefined, {}), undefined);
  assert.deepEqual(augmentLabels({ app: 'x' }, 'r1/z1'), { app: 'x', 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': 'z1' });
});

test('a proxy locality: its labels first (istiod setTopologyLabels), else the Envoy node locality', () => {
  const id = 'sidecar~10.0.0.5~web-0.default~default.svc.cluster.local';
  const sent = toNodeMessage({ id, locality: 'r1/z1', metadata: { LABELS: { app: 'web' } } });
  assert.deepEqual(sent.locality, { region: 'r1', zone: 'z1' });
  assert.equal(proxyNodeFrom(parseNode(sent))?.locality, 'r1/z1');
  const labelled = toNodeMessage({ id, locality: 'r1/z1', metadata: { LABELS: { 'istio-locality': 'r3.z3' } } });
  assert.equal(proxyNodeFrom(parseNode(labelled))?.locality, 'r3/z3');
  assert.equal(proxyNodeFrom(parseNode(toNodeMessage({ id })))?.locality, undefined);
});

test('mesh config localityLbSetting: Istio default enabled, parsed and validated from the file', () => {
  assert.deepEqual(DEFAULT_MESH_CONFIG.localityLbSetting, { enabled: true });
  const m = parseMeshConfig('localityLbSetting:\n  enabled: true\n  failover: [{from: r1, to: r2}]\n');
  assert.deepEqual(m.localityLbSetting, { enabled: true, failover: [{ from: 'r1', to: 'r2' }] });
  assert.throws(() => parseMeshConfig('localityLbSetting: {enabled: yes-please}'), MeshConfigError);
});
