/**
 * `weft explain`'s "Unsupported fields" section: fields the registry marks unsupported, set on the
 * resources on the request's path, with file:line and reason; nothing for resources off the path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { loadPaths, loadTexts } from '../config/load.js';
import { buildSnapshot } from '../model/snapshot.js';
import { explain } from './explain.js';
import { formatExplanation } from './format-text.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const YAML = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
  tcp:
  - match:
    - sourceSubnet: 10.0.0.0/8
    route:
    - destination: {host: reviews}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ratings
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings, subset: v1}
  tcp:
  - match:
    - sourceSubnet: 10.0.0.0/8
    route:
    - destination: {host: ratings}
`;

test('unsupported fields of the VirtualService on the path are listed with file:line and reason; others are not', async () => {
  const base = await loadPaths([path.join(ROOT, 'samples/bookinfo/platform'), path.join(ROOT, 'samples/bookinfo/networking')]);
  const inline = loadTexts([{ file: 'inline.yaml', text: YAML }]);
  let n = 1;
  const snapshot = buildSnapshot({ resources: [...base.resources, ...inline.resources], registry: { podAddress: () => `10.0.0.${n++}` } });
  const e = explain(snapshot, { from: 'productpage-v1', url: 'http://reviews:9080/reviews/0' }, { analysis: inline.diagnostics });
  assert.deepEqual(e.unsupportedFields.map((u) => [u.resource, u.field, u.source]), [
    ['VirtualService default/reviews', 'spec.tcp[0].match[0].sourceSubnet', 'inline.yaml:12:7'],
  ]);
  assert.match(e.unsupportedFields[0]!.reason, /sourceSubnet is not matched/);
  assert.equal(e.notes.some((n) => n.code === 'WFT0100'), false, 'not repeated as a config note');
  const text = formatExplanation(e);
  assert.match(text, /Unsupported fields \(accepted, not enforced by Weft: WFT0100\)\n {2}VirtualService default\/reviews spec\.tcp\[0\]\.match\[0\]\.sourceSubnet \(inline\.yaml:12:7\): sourceSubnet is not matched/);

  const plain = explain(buildSnapshot({ resources: base.resources, registry: { podAddress: () => `10.0.1.${n++}` } }), { from: 'productpage-v1', url: 'http://reviews:9080/reviews/0' });
  assert.deepEqual(plain.unsupportedFields, []);
  assert.doesNotMatch(formatExplanation(plain), /Unsupported fields/);
});
