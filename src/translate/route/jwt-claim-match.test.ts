/**
 * `@request.auth.claims.*` in a VirtualService match (istiod route.go translateMetadataMatch): the
 * claim forms istiod accepts, the dynamic-metadata matcher on the JWT payload (string or list
 * claim), withoutHeaders inverted, the proto round trip, and route selection over metadata.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRouteTable } from '../../envoy/route-table.js';
import type { RouteConfiguration } from '../../envoy/types.js';
import { decodeResource, encodeResource } from '../../xds/protos.js';
import { TypeUrl } from '../../envoy/type-url.js';
import { routingClaim } from './jwt-claim-match.js';
import { convertRouteMatch } from './route-match.js';

test('claim names: dotted and bracketed forms, prefix case-insensitive; others are headers', () => {
  assert.deepEqual(routingClaim('@request.auth.claims.group'), ['group']);
  assert.deepEqual(routingClaim('@Request.Auth.Claims.a.b'), ['a', 'b']);
  assert.deepEqual(routingClaim('@request.auth.claims[a.b][c]'), ['a.b', 'c']);
  assert.equal(routingClaim('@request.auth.claims'), undefined);
  assert.equal(routingClaim('@request.auth.claims.'), undefined);
  assert.equal(routingClaim('x-user'), undefined);
});

test('a claim match reads the JWT payload (string or list claim); withoutHeaders inverts it; selection follows', () => {
  const m = convertRouteMatch({ uri: { prefix: '/' }, headers: { '@request.auth.claims.group': { exact: 'admin' }, 'x-a': { exact: '1' } } });
  assert.deepEqual(m.headers, [{ name: 'x-a', stringMatch: { exact: '1' } }]);
  const exact = { stringMatch: { exact: 'admin' } };
  assert.deepEqual(m.dynamicMetadata, [{
    filter: 'envoy.filters.http.jwt_authn',
    path: [{ key: 'payload' }, { key: 'group' }],
    value: { orMatch: { valueMatchers: [{ listMatch: { oneOf: exact } }, exact] } },
  }]);
  const without = convertRouteMatch({ withoutHeaders: { '@request.auth.claims[group]': { exact: 'admin' } } });
  assert.equal(without.headers, undefined);
  assert.equal(without.dynamicMetadata?.[0]?.invert, true);

  const rc: RouteConfiguration = { name: 'r', virtualHosts: [{ name: 'v', domains: ['*'], routes: [
    { name: 'admin', match: { prefix: '/', dynamicMetadata: convertRouteMatch({ headers: { '@request.auth.claims.group': { exact: 'admin' } } }).dynamicMetadata }, directResponse: { status: 200 } },
    { name: 'not-admin', match: { prefix: '/', dynamicMetadata: without.dynamicMetadata }, directResponse: { status: 200 } },
  ] }] };
  const decoded = decodeResource<RouteConfiguration>(TypeUrl.RouteConfiguration, encodeResource(TypeUrl.RouteConfiguration, rc));
  assert.deepEqual(decoded.virtualHosts?.[0]?.routes?.[0]?.match?.dynamicMetadata, rc.virtualHosts?.[0]?.routes?.[0]?.match?.dynamicMetadata);
  const table = compileRouteTable(decoded);
  const pick = (payload: Record<string, unknown> | undefined) => {
    const sel = table.select({ authority: 'x', method: 'GET', path: '/', scheme: 'http', headers: {}, ...(payload ? { dynamicMetadata: { 'envoy.filters.http.jwt_authn': { payload: payload as never } } } : {}) });
    return sel.kind === 'route' ? sel.route.name : sel.kind;
  };
  assert.equal(pick({ group: 'admin' }), 'admin');
  assert.equal(pick({ group: ['dev', 'admin'] }), 'admin');
  assert.equal(pick({ group: 'dev' }), 'not-admin');
  assert.equal(pick(undefined), 'not-admin');
});
