/**
 * Where Envoy's protobuf types come from at run time. Parsing the `.proto` files that ship inside
 * `@grpc/grpc-js-xds` (about 200 files, 1 MB of text) takes about 100 ms and leaves megabytes of
 * parse garbage and retained source text behind, in every proxy process. So the first process
 * parses them once, keeps only the types Weft can reach (every message type of the files it asked
 * for, and everything those reference), and caches that as a protobufjs JSON descriptor under
 * `node_modules/.cache/weft/`; later processes build their root from the descriptor with
 * `protobuf.Root.fromJSON`. The cache file name carries a hash of the package versions and the
 * file and type lists, so an upgrade or a change of the lists makes a new one.
 *
 * The descriptor is what `Root#toJSON` writes (protobufjs' own round-trip format, also used by
 * `pbjs -t json`), minus comments and unreachable types; src/xds/envoy-descriptor.test.ts checks
 * that encoding and decoding with it gives the same results as with the parsed files.
 *
 * `WEFT_PROTO_CACHE=off` always parses the files; `WEFT_PROTO_CACHE=DIR` puts the cache in DIR.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

/** Bump when the descriptor's shape or the pruning changes. */
const DESCRIPTOR_FORMAT = 1;

/** What to load: the `.proto` files (their imports follow) and the fully-qualified names that must resolve. */
export interface EnvoyProtoSpec {
  readonly files: readonly string[];
  /** Types or enums looked up by name (beyond the messages of `files`). */
  readonly extraRoots: readonly string[];
}

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(path.join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version;
}

/** Parses the `.proto` files of `spec` from `@grpc/grpc-js-xds`'s deps (the full, unpruned root). */
export function parseEnvoyProtos(spec: EnvoyProtoSpec): protobuf.Root {
  const xdsPkg = packageDir('@grpc/grpc-js-xds');
  const includeDirs = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(xdsPkg, 'deps', d));
  includeDirs.push(packageDir('protobufjs'));
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => {
    if (path.isAbsolute(target) && existsSync(target)) return target;
    for (const dir of includeDirs) {
      const candidate = path.join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target;
  };
  root.loadSync([...spec.files], { keepCase: false });
  root.resolveAll();
  return root;
}

/** Every type, enum and namespace of `ns`, depth first. */
function* allNested(ns: protobuf.NamespaceBase): Iterable<protobuf.ReflectionObject> {
  for (const x of ns.nestedArray) {
    yield x;
    if (x instanceof protobuf.Namespace || x instanceof protobuf.Type) yield* allNested(x);
  }
}

/**
 * The JSON descriptor of `root` restricted to the message types declared in `spec.files`, the
 * `spec.extraRoots`, and every type those reference (fields, map values, nested parents), without comments.
 */
export function prunedDescriptor(root: protobuf.Root, spec: EnvoyProtoSpec): protobuf.INamespace {
  const wantedFiles = new Set(spec.files);
  const keep = new Set<protobuf.ReflectionObject>();
  const visit = (obj: protobuf.ReflectionObject | null): void => {
    if (!obj || keep.has(obj)) return;
    keep.add(obj);
    for (let p = obj.parent; p && !(p instanceof protobuf.Root); p = p.parent) keep.add(p);
    if (obj instanceof protobuf.Type) {
      for (const f of obj.fieldsArray) visit(f.resolve().resolvedType);
      for (const x of obj.nestedArray) if (x instanceof protobuf.Type || x instanceof protobuf.Enum) visit(x);
    }
  };
  for (const obj of allNested(root)) {
    const file = obj.filename ? obj.filename.replace(/\\/g, '/') : '';
    if ((obj instanceof protobuf.Type || obj instanceof protobuf.Enum) && [...wantedFiles].some((f) => file.endsWith(`/${f}`))) visit(obj);
  }
  for (const name of spec.extraRoots) visit(root.lookup(name));
  const toJson = (ns: protobuf.NamespaceBase): Record<string, protobuf.AnyNestedObject> | undefined => {
    const out: Record<string, protobuf.AnyNestedObject> = {};
    for (const x of ns.nestedArray) {
      if (!keep.has(x)) continue;
      const json = (x.toJSON as (o?: { keepComments?: boolean }) => unknown)({ keepComments: false }) as Record<string, unknown>;
      if (x instanceof protobuf.Namespace || x instanceof protobuf.Type) {
        const nested = toJson(x);
        if (nested) json['nested'] = nested;
        else delete json['nested'];
      }
      out[x.name] = json as protobuf.AnyNestedObject;
    }
    return Object.keys(out).length ? out : undefined;
  };
  return { nested: toJson(root) ?? {} };
}

function cacheDir(): string | undefined {
  const env = process.env['WEFT_PROTO_CACHE'];
  if (env === 'off') return undefined;
  if (env) return env;
  // <…>/node_modules/@grpc/grpc-js-xds → <…>/node_modules/.cache/weft
  return path.join(packageDir('@grpc/grpc-js-xds'), '..', '..', '.cache', 'weft');
}

function cacheKey(spec: EnvoyProtoSpec): string {
  const text = JSON.stringify({
    format: DESCRIPTOR_FORMAT, protobufjs: packageVersion('protobufjs'), xds: packageVersion('@grpc/grpc-js-xds'),
    files: spec.files, extraRoots: spec.extraRoots,
  });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Where the descriptor of `spec` is (or would be) cached; undefined when caching is off. */
export function descriptorCachePath(spec: EnvoyProtoSpec): string | undefined {
  const dir = cacheDir();
  return dir === undefined ? undefined : path.join(dir, `envoy-descriptor-${cacheKey(spec)}.json`);
}

function readCached(file: string): protobuf.INamespace | undefined {
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as protobuf.INamespace;
    return json.nested ? json : undefined;
  } catch {
    return undefined;
  }
}

/** Writes atomically (temp file + rename), so concurrent first runs never see half a file; best effort. */
function writeCached(file: string, json: protobuf.INamespace): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(json));
    renameSync(tmp, file);
  } catch {
    // read-only install: every process parses the files
  }
}

/**
 * The root of `spec`'s types: from the cached descriptor when there is one, else parsed from the
 * `.proto` files, pruned, cached (when possible) and rebuilt from the descriptor, so every process
 * gets the same root whether or not it found the cache.
 */
export function loadEnvoyRoot(spec: EnvoyProtoSpec): protobuf.Root {
  const file = descriptorCachePath(spec);
  let json = file !== undefined ? readCached(file) : undefined;
  if (json === undefined) {
    json = prunedDescriptor(parseEnvoyProtos(spec), spec);
    if (file !== undefined) writeCached(file, json);
  }
  const root = protobuf.Root.fromJSON(json);
  root.resolveAll();
  return root;
}
