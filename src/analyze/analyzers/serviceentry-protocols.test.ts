import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeYaml, lineOf } from './testing/analyze-yaml.js';
import { conflictingServiceEntryProtocolAnalyzer } from './serviceentry-protocols.js';


const positive = `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: db-tcp
spec:
  hosts: [db.example.com]
  addresses: [240.0.0.1]
  ports:
  - number: 5432
    name: tcp
    protocol: TCP
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: db-tls
spec:
  hosts: [db.example.com]
  addresses: [240.0.0.1]
  ports:
  - number: 5432
    name: tcp
    protocol: TLS
  resolution: DNS
`;

const negative = `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: db-tcp
spec:
  hosts: [db.example.com]
  addresses: [240.0.0.1]
  ports:
  - number: 5432
    name: tcp
    protocol: TCP
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: db-tls
spec:
  hosts: [db.example.com]
  addresses: [240.0.0.1]
  ports:
  - number: 5432
    name: tcp
    protocol: TCP
  resolution: DNS
`;

test('serviceentry-protocols: reports the problem with code, level, resource and line', () => {
  const msgs = analyzeYaml(positive, conflictingServiceEntryProtocolAnalyzer);
  assert.equal(msgs.length, 2, msgs.map((m) => m.message).join('\n'));
  assert.equal(msgs[0]!.code, 'IST0177');
  assert.equal(msgs[0]!.level, 'Warning');
  assert.equal(`${msgs[0]!.resource?.kind} ${msgs[0]!.resource?.namespace}/${msgs[0]!.resource?.name}`, 'ServiceEntry default/db-tcp');
  assert.equal(msgs[0]!.source?.line, lineOf(positive, 'name: db-tcp', 1));
  assert.equal(msgs[1]!.code, 'IST0177');
  assert.equal(msgs[1]!.level, 'Warning');
  assert.equal(`${msgs[1]!.resource?.kind} ${msgs[1]!.resource?.namespace}/${msgs[1]!.resource?.name}`, 'ServiceEntry default/db-tls');
  assert.equal(msgs[1]!.source?.line, lineOf(positive, 'name: db-tls', 1));
});

test('serviceentry-protocols: stays quiet on consistent configuration', () => {
  assert.deepEqual(analyzeYaml(negative, conflictingServiceEntryProtocolAnalyzer).map((m) => m.message), []);
});
