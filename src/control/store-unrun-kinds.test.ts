import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigStore } from './config-store.js';

const MIXED = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec: {podSelector: {}}
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: lua}
spec: {configPatches: []}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app}
`;

test('the store loads the other documents of a file holding kinds Weft does not run, reports each once, and honours --suppress', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-unrun-'));
  const lines: string[] = [];
  try {
    await writeFile(path.join(dir, 'mixed.yaml'), MIXED);
    const store = new ConfigStore({ watchDir: dir, debounceMs: 5, report: (l) => lines.push(l), suppress: [{ code: 'WFT0006', resource: 'EnvoyFilter lua.default' }] });
    await store.start();
    store.stop();
    assert.deepEqual(store.resources().map((r) => `${r.kind}/${r.metadata.name}`), ['ServiceAccount/app']);
    assert.deepEqual(lines, [`${path.join(dir, 'mixed.yaml')}:2:1: Info [WFT0007] NetworkPolicy (networking.k8s.io/v1) is not Istio configuration: skipped (the file's other documents load) (NetworkPolicy default/deny-all)`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('weft apply of a file with kinds Weft does not run applies the rest, with the messages', async () => {
  const state = await mkdtemp(path.join(os.tmpdir(), 'weft-unrun-state-'));
  const store = new ConfigStore({ stateDir: state, debounceMs: 5 });
  try {
    await store.start();
    const out = await store.apply([{ file: 'cli.yaml', text: MIXED }]);
    assert.equal(out.ok, true, JSON.stringify(out.diagnostics));
    assert.deepEqual(out.results.map((r) => `${r.kind}/${r.name} ${r.action}`), ['ServiceAccount/app created']);
    assert.deepEqual(out.diagnostics.map((d) => [d.code, d.level]), [['WFT0007', 'Info'], ['WFT0006', 'Warning']]);
  } finally {
    store.stop();
    await rm(state, { recursive: true, force: true });
  }
});
