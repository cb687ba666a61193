import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, cidrFromRange, isLoopback, makeCidr, parseIp, sameIp } from './cidr.js';

test('CIDRs are masked and contain what they should', () => {
  const c = cidrFromRange({ addressPrefix: '10.1.2.3', prefixLen: { value: 8 } });
  assert.equal(c.key, '10.0.0.0/8');
  assert.equal(cidrContains(c, parseIp('10.255.0.1')!), true);
  assert.equal(cidrContains(c, parseIp('11.0.0.1')!), false);
  const odd = makeCidr('192.168.0.0', 23);
  assert.equal(cidrContains(odd, parseIp('192.168.1.200')!), true);
  assert.equal(cidrContains(odd, parseIp('192.168.2.1')!), false);
  assert.equal(cidrFromRange({ addressPrefix: '1.2.3.4' }).key, '0.0.0.0/0');
  const v6 = makeCidr('2001:db8::', 32);
  assert.equal(cidrContains(v6, parseIp('2001:db8:1::1')!), true);
  assert.equal(cidrContains(v6, parseIp('2001:db9::1')!), false);
  assert.equal(cidrContains(v6, parseIp('10.0.0.1')!), false);
  assert.throws(() => makeCidr('nope', 8), { code: 'ENVOY_INVALID_CIDR' });
});

test('addresses: IPv4-mapped IPv6 is IPv4, loopback, equality', () => {
  assert.deepEqual([...parseIp('::ffff:10.0.0.1')!], [10, 0, 0, 1]);
  assert.deepEqual([...parseIp('::1')!], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual([...parseIp('fe80::1:2')!].slice(0, 2), [0xfe, 0x80]);
  assert.equal(parseIp('example.com'), undefined);
  assert.equal(isLoopback(parseIp('127.0.0.42')!), true);
  assert.equal(isLoopback(parseIp('::1')!), true);
  assert.equal(isLoopback(parseIp('10.0.0.1')!), false);
  assert.equal(sameIp(parseIp('10.0.0.1')!, parseIp('::ffff:10.0.0.1')!), true);
});
