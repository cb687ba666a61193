/**
 * Test support for analyzer unit tests: loads YAML text with the real loader, builds the snapshot
 * (with the built-in ingress gateway) and runs one analyzer, failing loudly if the fixture itself
 * does not load cleanly, so a test never passes on a fixture the loader rejected.
 */
import { LineCounter, parseAllDocuments, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import { loadTexts } from '../../config/load.js';
import type { Diagnostic, SourceRef } from '../../config/diagnostic.js';
import type { Resource } from '../../config/resource.js';
import { buildSnapshot } from '../../model/snapshot.js';
import type { MeshConfig } from '../../model/mesh-config.js';
import { DEFAULT_MESH_CONFIG } from '../../model/mesh-config.js';
import type { Analyzer } from '../analyzer.js';
import { buildContext } from '../context.js';
import { defaultIngressResources } from '../defaults.js';

/** The file name fixtures are loaded under. */
export const TEST_FILE = 'test.yaml';

/**
 * Kinds the loader does not hand over yet (Istio kinds Weft does not run) but analyzers read:
 * fixtures' documents of these kinds become raw Resources (spec as written) here.
 */
const RAW_KINDS = new Set(['EnvoyFilter']);

/**
 * Splits `yaml` into the text the loader reads (documents of RAW_KINDS blanked, line numbers kept)
 * and raw Resources for those documents, located by the YAML AST as the loader locates fields.
 */
export function splitRawResources(yaml: string, file = TEST_FILE): { text: string; raw: Resource[] } {
  const lc = new LineCounter();
  const docs = parseAllDocuments(yaml, { lineCounter: lc });
  if (!Array.isArray(docs)) return { text: yaml, raw: [] };
  let text = yaml;
  const raw: Resource[] = [];
  for (const doc of docs) {
    const value = doc.toJS() as Record<string, unknown> | null;
    if (!value || typeof value !== 'object' || !RAW_KINDS.has(String(value.kind)) || !doc.contents) continue;
    const [start, , end] = doc.contents.range!;
    text = text.slice(0, start) + text.slice(start, end).replace(/[^\n]/g, ' ') + text.slice(end);
    const pos = (offset: number): SourceRef => {
      const p = lc.linePos(offset);
      return { file, line: p.line, column: p.col };
    };
    const locate = (path: readonly (string | number)[]): SourceRef => {
      let node: Node | null | undefined = doc.contents as Node;
      let at = node.range?.[0] ?? start;
      for (const key of path) {
        if (isMap(node)) {
          const pair = node.items.find((i) => isPair(i) && isScalar(i.key) && String(i.key.value) === String(key));
          if (!pair) break;
          at = (pair.key as Node).range?.[0] ?? at;
          node = pair.value as Node | null;
        } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
          node = node.items[key] as Node;
          at = node.range?.[0] ?? at;
        } else break;
      }
      return pos(at);
    };
    const meta = (value.metadata ?? {}) as Record<string, unknown>;
    raw.push(Object.freeze({
      apiVersion: String(value.apiVersion),
      kind: String(value.kind),
      metadata: Object.freeze({ name: String(meta.name), namespace: typeof meta.namespace === 'string' ? meta.namespace : 'default' }),
      spec: value.spec ?? {},
      source: pos(start),
      locate,
    }));
  }
  return { text, raw };
}

/** Runs one analyzer over YAML text; throws when the text has load errors. */
export function analyzeYaml(yaml: string, analyzer: Analyzer, meshConfig: MeshConfig = DEFAULT_MESH_CONFIG): Diagnostic[] {
  const { text, raw } = splitRawResources(yaml);
  const loaded = loadTexts([{ file: TEST_FILE, text }]);
  const errors = loaded.diagnostics.filter((d) => d.level === 'Error');
  if (errors.length > 0) throw new Error(`fixture does not load: ${errors.map((e) => `${e.source?.line}: ${e.message}`).join('; ')}`);
  const resources = [...loaded.resources, ...raw, ...defaultIngressResources(loaded.resources, meshConfig)];
  return analyzer.analyze(buildContext(buildSnapshot({ resources, meshConfig })));
}

/** 1-based line of the `occurrence`-th line containing `needle` (to assert lines without counting by hand). */
export function lineOf(yaml: string, needle: string, occurrence = 1): number {
  const lines = yaml.split('\n');
  let seen = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.includes(needle) && ++seen === occurrence) return i + 1;
  }
  throw new Error(`"${needle}" not found in fixture`);
}

/** A Service `name` on port 9080 (named `http`) selecting `app: name`, with Deployments for the versions. */
export function service(name: string, versions: readonly string[] = ['v1'], ns = 'default'): string {
  const svc = `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector:
    app: ${name}
  ports:
  - name: http
    port: 9080
`;
  const deps = versions.map((v) => `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}-${v}
  namespace: ${ns}
spec:
  selector:
    matchLabels:
      app: ${name}
      version: ${v}
  template:
    metadata:
      labels:
        app: ${name}
        version: ${v}
    spec:
      containers:
      - name: app
        image: example/${name}:${v}
        ports:
        - containerPort: 9080
`);
  return svc + deps.join('');
}
