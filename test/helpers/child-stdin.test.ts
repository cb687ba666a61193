/**
 * The fixtures' `run()` hands input to a child's stdin; a child that exits without reading it (curl,
 * `true`) made the write fail with EPIPE, an uncaught exception that failed whichever test was running
 * (seen in CI: gateway-tls "httpsRedirect", and a caCrl test in the mTLS fixture). Each `run()` must
 * resolve with the child's exit code instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run as gatewayRun } from '../security/gateway-tls/fixture.js';
import { run as meshRun } from '../security/mtls/mesh-fixture.js';

const BIG = 'x'.repeat(4 << 20);

for (const [name, run] of [['gateway-tls fixture', gatewayRun], ['mTLS mesh fixture', meshRun]] as const) {
  test(`${name}: run() of a command that never reads its stdin resolves with its exit code`, async () => {
    const r = await run('true', [], BIG);
    assert.equal(r.code, 0);
  });
}
