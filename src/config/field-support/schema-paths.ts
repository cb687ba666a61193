/**
 * Field paths of a kind's structural schema. Weft's schemas are strict zod objects (every key a kind
 * accepts is declared, unknown keys are refused), so walking the schema lists exactly the fields a
 * user can set: no second hand-kept list that could drift from the validator.
 *
 * Path notation follows Istio's dotted field paths: `spec.http[].corsPolicy.allowOrigins[].exact`.
 * `[]` stands for any list item, `{}` for any key of a map whose values are objects
 * (`spec.http[].match[].headers{}.exact`). A list or map of scalars is one leaf (`spec.hosts`,
 * `spec.selector.matchLabels`), as Istio's API reference lists it.
 */
import type { ZodType } from 'zod';

/** One segment of a concrete path inside a user's document (`['spec','http',0,'timeout']`). */
export type PathSegment = string | number;

interface Def {
  readonly type: string;
  readonly shape?: Readonly<Record<string, ZodType>>;
  readonly innerType?: ZodType;
  readonly element?: ZodType;
  readonly valueType?: ZodType;
  readonly options?: readonly ZodType[];
  readonly in?: ZodType;
  readonly out?: ZodType;
}

function defOf(schema: ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strips wrappers that do not change the shape (optional, nullable, default, pipes and transforms). */
export function unwrap(schema: ZodType): ZodType {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const d = defOf(s);
    if ((d.type === 'optional' || d.type === 'nullable' || d.type === 'default' || d.type === 'prefault' || d.type === 'readonly' || d.type === 'catch') && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = defOf(d.in).type === 'transform' && d.out ? d.out : d.in;
    else return s;
  }
  return s;
}

/** The object shape of a schema (after unwrapping), or undefined when it is not an object. */
export function objectShape(schema: ZodType): Readonly<Record<string, ZodType>> | undefined {
  const d = defOf(unwrap(schema));
  return d.type === 'object' ? d.shape : undefined;
}

/** Whether the schema (after unwrapping) is a list, and of what. */
function listElement(schema: ZodType): ZodType | undefined {
  const d = defOf(unwrap(schema));
  return d.type === 'array' ? d.element : undefined;
}

/** Whether the schema (after unwrapping) is a map, and of what values. */
function mapValue(schema: ZodType): ZodType | undefined {
  const d = defOf(unwrap(schema));
  return d.type === 'record' ? d.valueType : undefined;
}

/** True when values of this schema have fields of their own (an object, or a list/map of objects). */
function isStructured(schema: ZodType): boolean {
  if (objectShape(schema)) return true;
  const el = listElement(schema) ?? mapValue(schema);
  return el !== undefined && isStructured(el);
}

/** Every leaf field path the schema accepts, below `prefix` (`spec`, or `` for top-level content). */
export function schemaLeafPaths(schema: ZodType, prefix: string): string[] {
  const out: string[] = [];
  walkSchema(schema, prefix, out, 0);
  return out.sort();
}

function walkSchema(schema: ZodType, path: string, out: string[], depth: number): void {
  if (depth > 30) throw new Error(`schema too deep at ${path}`);
  const shape = objectShape(schema);
  if (shape) {
    for (const [key, child] of Object.entries(shape)) walkSchema(child, path ? `${path}.${key}` : key, out, depth + 1);
    return;
  }
  const el = listElement(schema);
  if (el && isStructured(el)) return walkSchema(el, `${path}[]`, out, depth + 1);
  const mv = mapValue(schema);
  if (mv && isStructured(mv)) return walkSchema(mv, `${path}{}`, out, depth + 1);
  out.push(path);
}

/** One field a user set: its registry path (`spec.http[].timeout`) and where it is (`['spec','http',0,'timeout']`). */
export interface SetField {
  readonly path: string;
  readonly at: readonly PathSegment[];
}

/**
 * The leaf fields set in a user's value, walked along the schema. A field counts as set when present
 * with a value other than null (as Kubernetes' apply treats `null`). Keys the schema does not declare
 * are skipped (validation refused them already).
 */
export function setFields(schema: ZodType, value: unknown, prefix: string, at: readonly PathSegment[]): SetField[] {
  const out: SetField[] = [];
  walkValue(schema, value, prefix, [...at], out, 0);
  return out;
}

function walkValue(schema: ZodType, value: unknown, path: string, at: PathSegment[], out: SetField[], depth: number): void {
  if (value === undefined || value === null || depth > 40) return;
  const shape = objectShape(schema);
  if (shape) {
    if (typeof value !== 'object' || Array.isArray(value)) return;
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const child = shape[key];
      if (child) walkValue(child, v, path ? `${path}.${key}` : key, [...at, key], out, depth + 1);
    }
    return;
  }
  const el = listElement(schema);
  if (el && isStructured(el)) {
    if (Array.isArray(value)) value.forEach((item, i) => walkValue(el, item, `${path}[]`, [...at, i], out, depth + 1));
    return;
  }
  const mv = mapValue(schema);
  if (mv && isStructured(mv)) {
    if (typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walkValue(mv, v, `${path}{}`, [...at, k], out, depth + 1);
    }
    return;
  }
  out.push({ path, at });
}
