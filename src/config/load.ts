/**
 * Reads configuration from files, directories and stdin: multi-document YAML (or JSON), each object
 * checked against its kind and turned into a Resource that remembers where every field came from.
 * Bad documents become diagnostics; good documents in the same file still load.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, isPair, type Node, type Document } from 'yaml';
import type { Diagnostic, SourceRef } from './diagnostic.js';
import { formatPath } from './diagnostic.js';
import type { ObjectMeta, Resource } from './resource.js';
import { resourceId } from './resource.js';
import { lookupKind } from './kinds.js';
import type { SchemaIssue } from './kind-info.js';
import { unsupportedFieldDiagnostics } from './field-support/unsupported-fields.js';
import { checkTextLimits, tooManyResourcesMessage, findTooDeep, LimitCodes, YamlLimits } from './yaml-limits.js';
import { classifyUnrunKind, notIstioMessage, UnrunKindCodes, unrunKindMessage } from './unrun-kinds.js';
import { parseEnvoyFilterSpec } from './envoy-filter.js';
import { deprecatedFieldDiagnostics } from './deprecated-fields.js';

/** What loading produced: the resources that passed validation, and every problem found. */
export interface LoadResult {
  readonly resources: Resource[];
  readonly diagnostics: Diagnostic[];
  /**
   * Resources of Istio kinds Weft parses but does not run (EnvoyFilter, see unrun-kinds.ts and
   * envoy-filter.ts): for `weft analyze` only, never stored or translated.
   */
  readonly notRun?: Resource[];
}

/** Stable codes for problems the loader itself reports (schema problems use Istio's IST0106). */
export const LoadCodes = {
  YamlSyntax: 'WFT0001',
  UnknownKind: 'WFT0002',
  Duplicate: 'WFT0003',
  Unreadable: 'WFT0004',
  NotAnObject: 'WFT0005',
  /** An Istio kind Weft does not run (EnvoyFilter, WasmPlugin, ProxyConfig, Gateway API): a warning. */
  UnsupportedKind: UnrunKindCodes.UnsupportedKind,
  /** A kind that is not Istio configuration (NetworkPolicy, PrometheusRule, …): skipped, an info. */
  NotIstio: UnrunKindCodes.NotIstio,
} as const;

const CONFIG_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Loads every path (file, directory searched recursively, or `-` for stdin). */
export async function loadPaths(paths: readonly string[], stdin?: () => Promise<string>): Promise<LoadResult> {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const p of paths) {
    if (p === '-') {
      files.push('-');
      continue;
    }
    try {
      await collectFiles(p, files, true);
    } catch (err) {
      diagnostics.push({
        code: LoadCodes.Unreadable,
        level: 'Error',
        message: `cannot read ${p}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        source: { file: p, line: 1, column: 1 },
      });
    }
  }
  const texts: { file: string; text: string }[] = [];
  for (const file of files) {
    try {
      const text = file === '-' ? await (stdin ?? readStdin)() : await readFile(file, 'utf8');
      texts.push({ file, text });
    } catch (err) {
      diagnostics.push({
        code: LoadCodes.Unreadable,
        level: 'Error',
        message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        source: { file, line: 1, column: 1 },
      });
    }
  }
  const result = loadTexts(texts);
  return { resources: result.resources, diagnostics: [...diagnostics, ...result.diagnostics], notRun: result.notRun };
}

/** Options of {@link loadTexts}. */
export interface LoadTextsOptions {
  /** Refuse (one Error, WFT0016) when the texts hold more resources than this: an apply's limit. */
  readonly maxResources?: number;
}

/**
 * Loads already-read texts; resources are de-duplicated by kind/namespace/name: the last definition
 * wins, with a WFT0003 warning, as `kubectl apply` of the files in order would leave it.
 */
export function loadTexts(texts: readonly { file: string; text: string }[], opts: LoadTextsOptions = {}): LoadResult {
  const resources: Resource[] = [];
  const diagnostics: Diagnostic[] = [];
  const notRun: Resource[] = [];
  const seen = new Map<string, { resource: Resource; index: number }>();
  let count = 0;
  for (const { file, text } of texts) {
    const out = parseText(file, text);
    count += out.resources.length;
    if (opts.maxResources !== undefined && count > opts.maxResources) {
      const first = out.resources[out.resources.length - (count - opts.maxResources)]!;
      return {
        resources: [],
        diagnostics: [{ code: LimitCodes.TooManyResources, level: 'Error', message: tooManyResourcesMessage(opts.maxResources), source: first.source }],
      };
    }
    diagnostics.push(...out.diagnostics);
    notRun.push(...(out.notRun ?? []));
    for (const r of out.resources) {
      const id = resourceId(r);
      const earlier = seen.get(id);
      if (earlier) {
        diagnostics.push(duplicateDiagnostic(r, earlier.resource));
        resources[earlier.index] = r;
        seen.set(id, { resource: r, index: earlier.index });
        continue;
      }
      seen.set(id, { resource: r, index: resources.length });
      resources.push(r);
    }
  }
  return { resources, diagnostics, notRun };
}

/**
 * A file's parsed YAML, kept only while the file is being loaded: afterwards resources locate
 * fields by re-parsing the text on demand, so loaded config does not pin every YAML AST in memory
 * (4,000 documents cost about 3× more with their ASTs than without).
 */
class ParsedFile {
  private docs?: Document.Parsed[];
  private counter?: LineCounter;
  constructor(readonly file: string, private readonly text: string) {}

  /** The file's documents, parsing the text if they were released. */
  documents(): Document.Parsed[] {
    if (!this.docs) {
      this.counter = new LineCounter();
      const docs = parseAllDocuments(this.text, { lineCounter: this.counter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
      this.docs = Array.isArray(docs) ? docs : [docs as unknown as Document.Parsed];
    }
    return this.docs;
  }

  /** Source position of a character offset. */
  position(offset: number): SourceRef {
    this.documents();
    const lp = this.counter!.linePos(offset);
    return { file: this.file, line: lp.line, column: lp.col };
  }

  /** Drops the parsed documents (they are rebuilt on the next `documents()`). */
  release(): void {
    this.docs = undefined;
    this.counter = undefined;
  }

  /** A locator for a path inside document `index`, below `base`. */
  locator(index: number, base: readonly (string | number)[]): (p: readonly (string | number)[]) => SourceRef {
    return (p) => {
      const root = this.documents()[index]?.contents;
      return root ? locateNode(root, [...base, ...p], (o) => this.position(o)) : { file: this.file, line: 1, column: 1 };
    };
  }
}

/**
 * Parses one file's text into resources and diagnostics. Never throws: input beyond the limits of
 * yaml-limits.ts (size, documents, depth, aliases) and anything the parser itself cannot take are
 * Error diagnostics naming the file and line.
 */
export function parseText(file: string, text: string): LoadResult {
  const limit = checkTextLimits(text);
  if (limit) {
    return { resources: [], diagnostics: [{ code: limit.code, level: 'Error', message: limit.message, source: { file, line: limit.line, column: 1 } }] };
  }
  try {
    return parseWithinLimits(file, text);
  } catch (err) {
    // The parser and validators are not expected to throw; if one does, the input is refused, not the process.
    return {
      resources: [],
      diagnostics: [{ code: LoadCodes.YamlSyntax, level: 'Error', message: `cannot load this file: ${(err as Error)?.message ?? String(err)}`, source: { file, line: 1, column: 1 } }],
    };
  }
}

function parseWithinLimits(file: string, text: string): LoadResult {
  const parsed = new ParsedFile(file, text);
  const resources: Resource[] = [];
  const diagnostics: Diagnostic[] = [];
  const notRun: Resource[] = [];
  const pos = (offset: number) => parsed.position(offset);
  parsed.documents().forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        diagnostics.push({
          code: LoadCodes.YamlSyntax,
          level: 'Error',
          message: `YAML syntax error: ${e.message.split('\n')[0]}`,
          source: pos(e.pos[0]),
        });
      }
      return;
    }
    const root = doc.contents;
    if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) return; // empty document
    if (!isMap(root)) {
      diagnostics.push({
        code: LoadCodes.NotAnObject,
        level: 'Error',
        message: 'a configuration document must be an object with apiVersion, kind and metadata',
        source: pos(root.range?.[0] ?? 0),
      });
      return;
    }
    const deep = findTooDeep(root);
    if (deep) {
      diagnostics.push({
        code: LimitCodes.TooDeep,
        level: 'Error',
        message: `YAML nested more than ${YamlLimits.maxDepth} levels deep (the limit)`,
        source: pos(deep.range?.[0] ?? 0),
      });
      return;
    }
    let value: Record<string, unknown>;
    try {
      // The yaml library refuses alias expansion beyond maxAliasCount (a "billion laughs" document
      // expands exponentially); that refusal is the user's error, reported with file:line, never a crash.
      value = doc.toJS({ maxAliasCount: YamlLimits.maxAliasCount }) as Record<string, unknown>;
    } catch (err) {
      diagnostics.push({
        code: /alias/i.test((err as Error).message) ? LimitCodes.TooManyAliases : LoadCodes.YamlSyntax,
        level: 'Error',
        message: `YAML document cannot be expanded: ${(err as Error).message} (aliases are limited to ${YamlLimits.maxAliasCount} expansions per document)`,
        source: pos(root.range?.[0] ?? 0),
      });
      return;
    }
    if (value.kind === 'List' && Array.isArray(value.items)) {
      value.items.forEach((item, i) => {
        const r = buildResource(item, parsed.locator(index, ['items', i]), diagnostics, notRun);
        if (r) resources.push(r);
      });
      return;
    }
    const r = buildResource(value, parsed.locator(index, []), diagnostics, notRun);
    if (r) resources.push(r);
  });
  parsed.release();
  return { resources, diagnostics, notRun };
}

function buildResource(
  value: unknown,
  locate: (p: readonly (string | number)[]) => SourceRef,
  diagnostics: Diagnostic[],
  notRun: Resource[],
): Resource | undefined {
  const start = locate([]);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    diagnostics.push({ code: LoadCodes.NotAnObject, level: 'Error', message: 'a configuration document must be an object', source: start });
    return undefined;
  }
  const obj = value as Record<string, unknown>;
  const apiVersion = obj.apiVersion;
  const kind = obj.kind;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    diagnostics.push({
      code: 'IST0106',
      level: 'Error',
      message: `Schema validation error: ${typeof kind !== 'string' ? 'kind' : 'apiVersion'} is required and must be a string`,
      source: start,
    });
    return undefined;
  }
  const info = lookupKind(apiVersion, kind);
  const meta = obj.metadata as Record<string, unknown> | undefined;
  const name = typeof meta?.name === 'string' ? meta.name : undefined;
  if (!info) {
    const unrun = classifyUnrunKind(apiVersion, kind);
    if (unrun.class !== 'unknown') {
      const namespace = typeof meta?.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default';
      const resource = { kind, namespace, name: name ?? '<unnamed>' };
      if (unrun.class === 'not-istio') {
        diagnostics.push({ code: LoadCodes.NotIstio, level: 'Info', message: notIstioMessage(kind, apiVersion), source: locate(['kind']), resource });
        return undefined;
      }
      diagnostics.push({ code: LoadCodes.UnsupportedKind, level: 'Warning', message: unrunKindMessage(kind, apiVersion, unrun.reason), source: locate(['kind']), resource });
      if (kind === 'EnvoyFilter') {
        const r = envoyFilterResource(apiVersion, meta, obj.spec, locate, namespace, diagnostics);
        if (r) notRun.push(r);
      }
      return undefined;
    }
    diagnostics.push({
      code: LoadCodes.UnknownKind,
      level: 'Error',
      message: `unknown kind ${kind} in apiVersion ${apiVersion}${name ? ` (${name})` : ''}`,
      source: locate(['kind']),
    });
    return undefined;
  }
  const keyFor = (ns: string) => ({ kind, namespace: ns, name: name ?? '<unnamed>' });
  const metaIssues = validateMetadata(meta, info.namespaced);
  const namespace = info.namespaced
    ? typeof meta?.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default'
    : '';
  const report = (issues: readonly SchemaIssue[]) => {
    for (const i of issues) {
      diagnostics.push({
        code: i.code ?? (i.level === 'Error' ? 'IST0106' : 'IST0002'),
        level: i.level,
        message: i.level === 'Error' ? `Schema validation error: ${formatPath(i.path)}: ${i.message}` : i.message,
        source: locate(i.path),
        resource: keyFor(namespace),
        field: formatPath(i.path),
      });
    }
  };
  if (metaIssues.length > 0) {
    report(metaIssues);
    return undefined;
  }
  // `weft.io/config-source` is output only (weft get, control/config-source.ts): dropped from input.
  const metadata = withoutOutputAnnotations(meta as unknown as ObjectMeta);
  let content: unknown;
  if (info.content === 'spec') {
    content = obj.spec ?? {};
    const extra = Object.keys(obj).filter((k) => !['apiVersion', 'kind', 'metadata', 'spec', 'status'].includes(k));
    if (extra.length > 0) {
      report(extra.map((k) => ({ path: [k], message: `unknown field "${k}"`, level: 'Error' as const })));
      return undefined;
    }
  } else {
    const allowed = new Set(['apiVersion', 'kind', 'metadata', 'status', ...info.content]);
    const extra = Object.keys(obj).filter((k) => !allowed.has(k));
    if (extra.length > 0) {
      report(extra.map((k) => ({ path: [k], message: `unknown field "${k}"`, level: 'Error' as const })));
      return undefined;
    }
    const c: Record<string, unknown> = {};
    for (const k of info.content) if (k in obj) c[k] = obj[k];
    content = c;
  }
  const result = info.validate(content, { ...metadata, namespace });
  report(result.issues);
  if (result.spec === undefined || result.issues.some((i) => i.level === 'Error')) return undefined;
  // Fields accepted but not enforced: WFT0100 warnings from the field-support registry (issue 12).
  diagnostics.push(...unsupportedFieldDiagnostics(info, content, locate, keyFor(namespace)));
  // Deprecated fields, with Istio's codes (IST0002 / IST0133), from one table (deprecated-fields.ts).
  diagnostics.push(...deprecatedFieldDiagnostics(info, content, locate, keyFor(namespace)));
  return Object.freeze({
    apiVersion,
    kind: info.kind,
    metadata: Object.freeze({ ...metadata, namespace }),
    spec: result.spec,
    source: start,
    locate,
  });
}

/**
 * An EnvoyFilter as a typed Resource for analysis (envoy-filter.ts): metadata and spec problems are
 * warnings here, since the kind is not run and must not stop its file from loading.
 */
function envoyFilterResource(
  apiVersion: string,
  meta: Record<string, unknown> | undefined,
  spec: unknown,
  locate: (p: readonly (string | number)[]) => SourceRef,
  namespace: string,
  diagnostics: Diagnostic[],
): Resource | undefined {
  const key = { kind: 'EnvoyFilter', namespace, name: typeof meta?.name === 'string' ? meta.name : '<unnamed>' };
  const issues = [...validateMetadata(meta, true).map((i) => ({ ...i, level: 'Warning' as const, code: 'IST0106', message: `Schema validation error: ${formatPath(i.path)}: ${i.message}` }))];
  const parsed = issues.length === 0 ? parseEnvoyFilterSpec(spec) : { issues: [] };
  for (const i of [...issues, ...parsed.issues]) {
    diagnostics.push({ code: i.code ?? 'IST0106', level: 'Warning', message: i.message, source: locate(i.path), resource: key, field: formatPath(i.path) });
  }
  if (issues.length > 0 || !('spec' in parsed) || parsed.spec === undefined) return undefined;
  const metadata = withoutOutputAnnotations(meta as unknown as ObjectMeta);
  return Object.freeze({ apiVersion, kind: 'EnvoyFilter', metadata: Object.freeze({ ...metadata, namespace }), spec: parsed.spec, source: locate([]), locate });
}

/** Annotation the API adds to `weft get` output (control/config-source.ts defines it for output). */
const OUTPUT_ONLY_ANNOTATIONS = ['weft.io/config-source'];

function withoutOutputAnnotations(meta: ObjectMeta): ObjectMeta {
  const a = meta.annotations;
  if (!a || !OUTPUT_ONLY_ANNOTATIONS.some((k) => k in a)) return meta;
  const annotations = Object.fromEntries(Object.entries(a).filter(([k]) => !OUTPUT_ONLY_ANNOTATIONS.includes(k)));
  return { ...meta, annotations };
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const META_FIELDS = new Set([
  'name', 'namespace', 'labels', 'annotations', 'creationTimestamp', 'resourceVersion', 'generation', 'uid',
  'generateName', 'finalizers', 'ownerReferences', 'managedFields', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink',
]);

function validateMetadata(meta: Record<string, unknown> | undefined, namespaced: boolean): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const err = (path: (string | number)[], message: string) => issues.push({ path, message, level: 'Error' });
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    err(['metadata'], 'metadata is required and must be an object');
    return issues;
  }
  for (const k of Object.keys(meta)) if (!META_FIELDS.has(k)) err(['metadata', k], `unknown field "${k}"`);
  if (typeof meta.name !== 'string' || meta.name === '') err(['metadata', 'name'], 'name is required');
  else if (meta.name.length > 253 || !DNS1123_SUBDOMAIN.test(meta.name))
    err(['metadata', 'name'], `invalid name "${meta.name}": must be a lowercase RFC 1123 subdomain`);
  if (meta.namespace !== undefined) {
    if (!namespaced) err(['metadata', 'namespace'], 'this kind is cluster-scoped and takes no namespace');
    else if (typeof meta.namespace !== 'string' || meta.namespace.length > 63 || !DNS1123_LABEL.test(meta.namespace))
      err(['metadata', 'namespace'], `invalid namespace ${JSON.stringify(meta.namespace)}: must be a lowercase RFC 1123 label`);
  }
  for (const field of ['labels', 'annotations'] as const) {
    const m = meta[field];
    if (m === undefined || m === null) continue;
    if (typeof m !== 'object' || Array.isArray(m)) {
      err(['metadata', field], `${field} must be a map of strings`);
      continue;
    }
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== 'string') err(['metadata', field, k], `value of ${field} "${k}" must be a string`);
    }
  }
  return issues;
}

/** Walks the YAML AST along a path and returns the position of the deepest node reached. */
function locateNode(root: Node, path: readonly (string | number)[], pos: (offset: number) => SourceRef): SourceRef {
  let node: unknown = root;
  let best = root.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const key = pair.key as Node;
      best = key.range?.[0] ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) break;
      best = item.range?.[0] ?? best;
      node = item;
    } else break;
  }
  return pos(best);
}

/** Lists the config files a path stands for: the file itself, or `*.yaml|*.yml|*.json` below a directory (sorted, hidden skipped). */
export async function listConfigFiles(p: string): Promise<string[]> {
  const out: string[] = [];
  await collectFiles(p, out, true);
  return out;
}

async function collectFiles(p: string, out: string[], explicit: boolean): Promise<void> {
  const st = await stat(p);
  if (st.isDirectory()) {
    const entries = (await readdir(p)).sort();
    for (const e of entries) {
      if (e.startsWith('.') || e === 'node_modules') continue;
      await collectFiles(path.join(p, e), out, false);
    }
  } else if (explicit || CONFIG_EXTENSIONS.has(path.extname(p).toLowerCase())) {
    out.push(p);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The warning for a resource defined a second time in one load: the later definition wins, as
 * `kubectl apply -f` of both files (in order) leaves the later one in the cluster.
 */
export function duplicateDiagnostic(r: Resource, first: Resource): Diagnostic {
  return {
    code: LoadCodes.Duplicate,
    level: 'Warning',
    message: `${r.kind} ${r.metadata.namespace}/${r.metadata.name} is defined again (also at ${first.source.file}:${first.source.line}): this later definition is used, as kubectl apply of both would leave it`,
    source: r.source,
    resource: { kind: r.kind, namespace: r.metadata.namespace, name: r.metadata.name },
  };
}
