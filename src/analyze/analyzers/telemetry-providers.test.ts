import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing/analyze-yaml.js';
import { telemetryProviderAnalyzer } from './telemetry-providers.js';


const positive = `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: mesh-default
  namespace: istio-system
spec:
  accessLogging:
  - disabled: false
`;

const negative = `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: mesh-default
  namespace: istio-system
spec:
  accessLogging:
  - providers:
    - name: envoy
`;

test('telemetry-providers: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, telemetryProviderAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0157');
  assert.equal(msgs[0]!.level, 'Warning');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'Telemetry istio-system/mesh-default');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, '- disabled: false', 1));
});

test('telemetry-providers: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, telemetryProviderAnalyzer).map((m) => m.message), []);
});

test('telemetry-providers: as istioctl, tracing and metrics entries without providers are not IST0157', () => {
  const yaml = `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: mesh-default
  namespace: istio-system
spec:
  tracing:
  - randomSamplingPercentage: 10
  metrics:
  - overrides:
    - match:
        metric: REQUEST_COUNT
      disabled: true
`;
  assert.deepEqual(analyzeYaml(yaml, telemetryProviderAnalyzer).map((m) => m.message), []);
});
