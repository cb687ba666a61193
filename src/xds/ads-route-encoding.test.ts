import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPaths } from '../config/load.js';
import { buildSnapshot } from '../model/snapshot.js';
import { translate } from '../translate/translate.js';
import type { RouteConfiguration } from '../envoy/types/route.js';
import { decodeResource, encodeResource } from './protos.js';
import { TypeUrl } from '../envoy/type-url.js';
import { RouteConfigEncoder } from './ads-route-encoding.js';
import { ResourceEncoder } from './ads-wire.js';

async function bookinfoRoutes(): Promise<RouteConfiguration[]> {
  const resources = [...(await loadPaths(['samples/bookinfo'])).resources];
  const snapshot = buildSnapshot({ resources, registry: { podAddress: (p) => `127.9.0.${p.name.length}` } });
  const w = snapshot.registry.workloads.find((x) => x.address && x.name.startsWith('productpage'))!;
  const node = { id: `sidecar~${w.address}~${w.name}.${w.namespace}~${w.namespace}.svc.cluster.local`, role: 'sidecar' as const, ip: w.address!, podName: w.name, namespace: w.namespace, labels: w.labels, serviceAccount: w.serviceAccount };
  return [...translate(snapshot, node).routes];
}

test('RouteConfiguration encoded by parts is byte-identical to encoding the whole message', async () => {
  const routes = await bookinfoRoutes();
  assert.ok(routes.length > 0 && routes.some((r) => (r.virtualHosts?.length ?? 0) > 1));
  const enc = new RouteConfigEncoder();
  for (const rc of routes) assert.deepEqual(Buffer.from(enc.encode(rc)), Buffer.from(encodeResource(TypeUrl.RouteConfiguration, rc)), rc.name);
  // Edge shapes: no name, no virtual hosts, extra fields after virtual_hosts.
  const rc = routes.find((r) => (r.virtualHosts?.length ?? 0) > 1)!;
  const variants: RouteConfiguration[] = [
    { ...rc, name: undefined },
    { name: 'x', virtualHosts: [] },
    { name: 'y' },
    { ...rc, requestHeadersToRemove: ['x-a'], validateClusters: { value: true } },
  ];
  for (const v of variants) assert.deepEqual(Buffer.from(enc.encode(v)), Buffer.from(encodeResource(TypeUrl.RouteConfiguration, v)));
});

test('a RouteConfiguration that differs in one virtual host encodes only that virtual host again', async () => {
  const rc = (await bookinfoRoutes()).find((r) => (r.virtualHosts?.length ?? 0) > 2)!;
  const enc = new RouteConfigEncoder();
  enc.encode(rc);
  const before = enc.vhostEncodes;
  const vhosts = [...rc.virtualHosts!];
  vhosts[1] = { ...vhosts[1]!, domains: [...(vhosts[1]!.domains ?? []), 'extra.example'] };
  const next: RouteConfiguration = { ...rc, virtualHosts: vhosts };
  const bytes = enc.encode(next);
  assert.equal(enc.vhostEncodes - before, 1);
  assert.deepEqual(Buffer.from(bytes), Buffer.from(encodeResource(TypeUrl.RouteConfiguration, next)));
  assert.deepEqual(decodeResource<RouteConfiguration>(TypeUrl.RouteConfiguration, bytes).virtualHosts![1]!.domains!.at(-1), 'extra.example');
});

test('the ADS resource encoder uses the by-parts encoding for RouteConfigurations and reports bad objects', async () => {
  const rc = (await bookinfoRoutes())[0]!;
  const encoder = new ResourceEncoder();
  assert.deepEqual(Buffer.from(encoder.encode(TypeUrl.RouteConfiguration, rc)), Buffer.from(encodeResource(TypeUrl.RouteConfiguration, rc)));
  assert.throws(() => encoder.encode(TypeUrl.RouteConfiguration, { name: 'bad', virtualHosts: [{ name: 'v', domains: 7 }] }), /RouteConfiguration|VirtualHost/);
});
