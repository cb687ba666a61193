import { test } from 'node:test';
import assert from 'node:assert/strict';
import { celUnsupportedReason } from './attributes.js';

test('Istio\'s documented tag expressions are accepted', () => {
  for (const e of ['request.host', "request.headers['x-user']", 'request.method', 'request.url_path', 'response.code', 'string(destination.port)',
    "request.host.startsWith('a') ? 'a' : 'b'", "'literal'", 'xds.cluster_name', "has(request.headers.x) ? 'y' : 'n'"]) {
    assert.equal(celUnsupportedReason(e), undefined, e);
  }
});

test('expressions Weft cannot evaluate are refused with the reason', () => {
  assert.match(celUnsupportedReason("node.metadata['X']")!, /attribute "node" is not available/);
  assert.match(celUnsupportedReason('upstream_peer.app')!, /attribute "upstream_peer"/);
  assert.match(celUnsupportedReason('request.nope')!, /attribute "request.nope"/);
  assert.match(celUnsupportedReason('request.host +')!, /not a CEL expression/);
  assert.equal(celUnsupportedReason("'node.metadata'"), undefined);
});
