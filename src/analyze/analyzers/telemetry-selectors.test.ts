import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf, service } from './testing/analyze-yaml.js';
import { telemetrySelectorAnalyzer } from './telemetry-selectors.js';


const positive = service('reviews') + `---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: t1
spec:
  selector:
    matchLabels:
      app: revues
  tracing:
  - randomSamplingPercentage: 10
`;

const negative = service('reviews') + `---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: t1
spec:
  selector:
    matchLabels:
      app: reviews
  tracing:
  - randomSamplingPercentage: 10
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: t2
spec:
  tracing:
  - randomSamplingPercentage: 10
`;

test('telemetry-selectors: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, telemetrySelectorAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0101');
  assert.equal(msgs[0]!.level, 'Error');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'Telemetry default/t1');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, 'app: revues', 1));
});

test('telemetry-selectors: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, telemetrySelectorAnalyzer).map((m) => m.message), []);
});
