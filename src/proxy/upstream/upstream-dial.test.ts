import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointHostAddress, pipePathOf } from './upstream-dial.js';

test('endpoint addresses: a socket address as is, a pipe as unix://<path> with port 0, neither undefined', () => {
  assert.deepEqual(endpointHostAddress({ socketAddress: { address: '10.0.0.1', portValue: 80 } }), { address: '10.0.0.1', port: 80 });
  assert.deepEqual(endpointHostAddress({ pipe: { path: '/var/run/app.sock' } }), { address: 'unix:///var/run/app.sock', port: 0 });
  assert.equal(endpointHostAddress({}), undefined);
  assert.equal(endpointHostAddress({ socketAddress: { address: '10.0.0.1' } }), undefined);
});

test('pipe paths: only unix:// host addresses have one', () => {
  assert.equal(pipePathOf('unix:///tmp/a.sock'), '/tmp/a.sock');
  assert.equal(pipePathOf('10.0.0.1'), undefined);
  assert.equal(pipePathOf('unix.example.com'), undefined);
});
