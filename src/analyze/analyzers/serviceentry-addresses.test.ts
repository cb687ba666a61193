import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing/analyze-yaml.js';
import { protocolAddressesAnalyzer } from './serviceentry-addresses.js';


const positive = `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: db
spec:
  hosts: [db.example.com]
  ports:
  - number: 5432
    name: tcp
    protocol: TCP
  resolution: DNS
`;

const negative = `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: db
spec:
  hosts: [db.example.com]
  addresses: [240.0.0.1]
  ports:
  - number: 5432
    name: tcp
    protocol: TCP
  resolution: DNS
`;

test('serviceentry-addresses: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, protocolAddressesAnalyzer);
  assert.equal(msgs.length, 1, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0134');
  assert.equal(msgs[0]!.level, 'Warning');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'ServiceEntry default/db');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, '- number: 5432', 1));
});

test('serviceentry-addresses: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, protocolAddressesAnalyzer).map((m) => m.message), []);
});
