/**
 * Test support for analyzer unit tests: loads YAML text with the real loader, builds the snapshot
 * (with the built-in ingress gateway) and runs one analyzer, failing loudly if the fixture itself
 * does not load cleanly, so a test never passes on a fixture the loader rejected.
 */
import { loadTexts } from '../../../config/load.js';
import type { Diagnostic } from '../../../config/diagnostic.js';
import { buildSnapshot } from '../../../model/snapshot.js';
import type { MeshConfig } from '../../../config/mesh-config.js';
import { DEFAULT_MESH_CONFIG } from '../../../config/mesh-config.js';
import type { Analyzer } from '../../analyzer.js';
import { buildContext } from '../../context.js';
import { defaultIngressResources } from '../../defaults.js';

/** The file name fixtures are loaded under. */
export const TEST_FILE = 'test.yaml';

/** Runs one analyzer over YAML text; throws when the text has load errors. */
export function analyzeYaml(yaml: string, analyzer: Analyzer, meshConfig: MeshConfig = DEFAULT_MESH_CONFIG): Diagnostic[] {
  const loaded = loadTexts([{ file: TEST_FILE, text: yaml }]);
  const errors = loaded.diagnostics.filter((d) => d.level === 'Error');
  if (errors.length > 0) throw new Error(`fixture does not load: ${errors.map((e) => `${e.source?.line}: ${e.message}`).join('; ')}`);
  const resources = [...loaded.resources, ...(loaded.notRun ?? []), ...defaultIngressResources(loaded.resources, meshConfig)];
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
