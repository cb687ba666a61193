/**
 * End to end: the WFT0100 UnsupportedField warning reaches the user on every path that loads config,
 * with the real processes: `weft control` prints it for a file of its watched directory at start,
 * and `weft apply` prints it (exit 0, the resource applied) for a file it sends.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runWeft, startWeft, type WeftProcess } from '../helpers/weft-process.js';

const FIXTURE = path.join(REPO_ROOT, 'test/analyze/fixtures/unsupported-field/reviews.yaml');
const procs: WeftProcess[] = [];
const dirs: string[] = [];
after(async () => {
  for (const p of procs) await p.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test('weft control prints WFT0100 for a watched file at start; weft apply prints it for an applied file and applies it', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'weft-wft0100-'));
  dirs.push(root);
  const config = path.join(root, 'config');
  await mkdir(config);
  await copyFile(FIXTURE, path.join(config, 'reviews.yaml'));
  const proc = startWeft(['control', '--config', config, '--state', path.join(root, 'state'), '--xds-port', '-1', '--http-port', '0']);
  procs.push(proc);
  const server = (await proc.waitFor(/API on (http:\/\/[\d.]+:\d+)/))[1]!;
  await proc.waitFor(new RegExp(`${path.join(config, 'reviews.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:22:7: Warning \\[WFT0100\\] UnsupportedField: spec\\.tcp\\[0\\]\\.match\\[0\\]\\.sourceSubnet is accepted but not enforced`));

  const other = path.join(root, 'other.yaml');
  await writeFile(other, (await readFile(FIXTURE, 'utf8')).replaceAll('name: reviews', 'name: reviews2').replace('- reviews\n', '- reviews2\n'));
  const r = await runWeft(['apply', '-f', other, '--server', server, '--state', path.join(root, 'state')]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /virtualservice\.networking\.istio\.io\/reviews2 created/);
  assert.match(r.stderr, new RegExp(`other\\.yaml:22:7: Warning \\[WFT0100\\] UnsupportedField: spec\\.tcp\\[0\\]\\.match\\[0\\]\\.sourceSubnet .*every source`));
});
