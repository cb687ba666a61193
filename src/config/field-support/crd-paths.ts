/**
 * Istio's own list of fields, from its CRDs (istio/api `kubernetes/customresourcedefinitions.gen.yaml`,
 * the same schemas as istio/istio `manifests/charts/base/files/crd-all.gen.yaml`): the leaf paths of
 * each kind's `spec`, in the registry's notation, so `crd-paths.test.ts` can check Weft's schemas
 * against Istio's in both directions.
 *
 * Regenerate the checked-in fixture (`istio-crd-paths.json`) after bumping istio/api:
 *   node dist/src/config/field-support/crd-paths.js path/to/customresourcedefinitions.gen.yaml "<source>" > src/config/field-support/istio-crd-paths.json
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** The part of an OpenAPI v3 schema the walk reads. */
export interface OpenApiSchema {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, OpenApiSchema>>;
  readonly items?: OpenApiSchema;
  readonly additionalProperties?: OpenApiSchema | boolean;
}

/** The checked-in fixture: where it came from and each kind's spec leaf paths. */
export interface CrdPathsFixture {
  readonly source: string;
  readonly kinds: Readonly<Record<string, readonly string[]>>;
}

function structured(s: OpenApiSchema | undefined): boolean {
  if (!s) return false;
  if (s.properties) return true;
  if (s.type === 'array') return structured(s.items);
  return s.type === 'object' && typeof s.additionalProperties === 'object' && structured(s.additionalProperties);
}

/** Leaf paths of an OpenAPI schema: `[]` for items of lists of objects, `{}` for keys of maps of objects (as `schema-paths.ts`). */
export function openApiLeafPaths(schema: OpenApiSchema, prefix: string): string[] {
  const out: string[] = [];
  const walk = (s: OpenApiSchema, path: string): void => {
    if (s.properties) {
      for (const [k, v] of Object.entries(s.properties)) walk(v, path ? `${path}.${k}` : k);
      return;
    }
    if (s.type === 'array' && s.items && structured(s.items)) return walk(s.items, `${path}[]`);
    if (s.type === 'object' && typeof s.additionalProperties === 'object' && structured(s.additionalProperties)) return walk(s.additionalProperties, `${path}{}`);
    out.push(path);
  };
  walk(schema, prefix);
  return out.sort();
}

interface CrdDoc {
  spec?: { names?: { kind?: string }; versions?: { name: string; storage?: boolean; schema?: { openAPIV3Schema?: { properties?: { spec?: OpenApiSchema } } } }[] };
}

/** Each kind's spec leaf paths from a multi-document CRD file (the `v1` version, else the storage version). */
export function crdPaths(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const doc of parseAllDocuments(text)) {
    const crd = doc.toJS() as CrdDoc | null;
    const kind = crd?.spec?.names?.kind;
    const versions = crd?.spec?.versions ?? [];
    const v = versions.find((x) => x.name === 'v1') ?? versions.find((x) => x.storage) ?? versions[0];
    const spec = v?.schema?.openAPIV3Schema?.properties?.spec;
    if (kind && spec) out[kind] = openApiLeafPaths(spec, 'spec');
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, source] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: crd-paths.js CRD.yaml [SOURCE]\n');
    process.exit(2);
  }
  const fixture: CrdPathsFixture = { source: source ?? file, kinds: crdPaths(readFileSync(file, 'utf8')) };
  process.stdout.write(`${JSON.stringify(fixture, null, 1)}\n`);
}
