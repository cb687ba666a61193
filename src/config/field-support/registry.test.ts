/**
 * The coverage test: every field path every kind's schema accepts has a registry decision, the
 * registry names no path the schema does not accept, and every test it cites exists by that name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KINDS } from '../kinds.js';
import { allKindSupport, kindSupport } from './registry.js';
import { schemaLeafPaths } from './schema-paths.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const prefixOf = (content: 'spec' | readonly string[]) => (content === 'spec' ? 'spec' : '');

test('every kind has a structural schema and a registry entry, and the registry knows no other kind', () => {
  for (const info of KINDS) {
    assert.ok(info.schema, `${info.kind} exposes no schema`);
    assert.ok(kindSupport(info.kind), `${info.kind} has no field-support entry`);
  }
  const kinds = new Set(KINDS.map((k) => k.kind));
  for (const s of allKindSupport()) assert.ok(kinds.has(s.kind), `registry entry for unknown kind ${s.kind}`);
});

test('every schema path of an Istio kind has a decision (enforced, refused or unsupported)', () => {
  const missing: string[] = [];
  for (const info of KINDS) {
    const support = kindSupport(info.kind)!;
    if (support.otherFields) continue;
    for (const p of schemaLeafPaths(info.schema!, prefixOf(info.content))) if (!support.fields[p]) missing.push(`${info.kind} ${p}`);
  }
  assert.deepEqual(missing, [], `fields without a decision: add them to src/config/field-support/kinds/`);
});

test('no registry entry names a path the schema does not accept', () => {
  const extra: string[] = [];
  for (const info of KINDS) {
    const accepted = new Set(schemaLeafPaths(info.schema!, prefixOf(info.content)));
    for (const p of Object.keys(kindSupport(info.kind)!.fields)) if (!accepted.has(p)) extra.push(`${info.kind} ${p}`);
  }
  assert.deepEqual(extra, []);
});

test('only Kubernetes kinds have an "other fields: ignored" rule, and their entries are fields Weft reads or warns about', () => {
  for (const info of KINDS) {
    const s = kindSupport(info.kind)!;
    const istio = info.group.endsWith('istio.io');
    assert.equal(s.otherFields === undefined, istio, `${info.kind}: otherFields is for Kubernetes kinds only`);
    // A Kubernetes field Weft reads but only approximates (a gRPC readiness probe) is listed as unsupported, so it warns.
    if (!istio) for (const [p, f] of Object.entries(s.fields)) assert.notEqual(f.status, 'refused', `${info.kind} ${p}: list only fields Weft reads or warns about`);
  }
});

test('every cited test exists under that exact name; every reason is a sentence', () => {
  const cache = new Map<string, string>();
  const problems: string[] = [];
  for (const s of allKindSupport()) {
    for (const [p, f] of Object.entries(s.fields)) {
      if (f.status !== 'enforced') {
        if (f.reason.trim().length < 20) problems.push(`${s.kind} ${p}: reason too short`);
        continue;
      }
      if (!f.test) continue;
      const file = path.join(ROOT, f.test.file);
      if (!cache.has(file)) cache.set(file, existsSync(file) ? readFileSync(file, 'utf8') : '');
      const text = cache.get(file)!;
      if (text === '') {
        problems.push(`${s.kind} ${p}: no file ${f.test.file}`);
        continue;
      }
      const quoted = [`'${f.test.name.replace(/'/g, "\\'")}'`, `"${f.test.name.replace(/"/g, '\\"')}"`, `\`${f.test.name}\``];
      if (!quoted.some((q) => text.includes(`test(${q}`) || text.includes(`it(${q}`))) problems.push(`${s.kind} ${p}: no test "${f.test.name}" in ${f.test.file}`);
      if (!/^(src|test)\/.+\.test\.ts$/.test(f.test.file)) problems.push(`${s.kind} ${p}: ${f.test.file} is not a test file`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the fields issue 12 names as silently ignored are unsupported until implemented', () => {
  const status = (kind: string, p: string) => kindSupport(kind)!.fields[p]?.status;
  for (const [kind, p] of [
    ['DestinationRule', 'spec.trafficPolicy.retryBudget.budgetInterval'],
  ] as const) assert.equal(status(kind, p), 'unsupported', `${kind} ${p}`);
});
