import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { schemaLeafPaths, setFields } from './schema-paths.js';

const schema = z.strictObject({
  hosts: z.array(z.string()).optional(),
  http: z.array(z.strictObject({
    match: z.array(z.strictObject({ headers: z.record(z.string(), z.strictObject({ exact: z.string().optional() })).optional() })).optional(),
    timeout: z.string().nullable().optional(),
  })).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  slice: z.array(z.string()).nullable().transform((e) => e ?? []),
});

test('leaf paths: [] for list items, {} for map-of-object keys, lists and maps of scalars are leaves', () => {
  assert.deepEqual(schemaLeafPaths(schema, 'spec'), ['spec.hosts', 'spec.http[].match[].headers{}.exact', 'spec.http[].timeout', 'spec.labels', 'spec.slice']);
  assert.deepEqual(schemaLeafPaths(schema, ''), ['hosts', 'http[].match[].headers{}.exact', 'http[].timeout', 'labels', 'slice']);
});

test('set fields: registry path and concrete location of each leaf present; null counts as unset', () => {
  const value = { hosts: ['a'], http: [{ timeout: null }, { match: [{ headers: { 'end-user': { exact: 'jason' } } }], timeout: '1s' }], labels: { a: 'b' } };
  assert.deepEqual(setFields(schema, value, 'spec', ['spec']), [
    { path: 'spec.hosts', at: ['spec', 'hosts'] },
    { path: 'spec.http[].match[].headers{}.exact', at: ['spec', 'http', 1, 'match', 0, 'headers', 'end-user', 'exact'] },
    { path: 'spec.http[].timeout', at: ['spec', 'http', 1, 'timeout'] },
    { path: 'spec.labels', at: ['spec', 'labels'] },
  ]);
});
