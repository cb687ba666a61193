/**
 * A small argument parser for Weft's commands, which mix kubectl/istioctl style (`-o json`,
 * `--suppress X`, `-f FILE`) with fortio's single-dash long flags (`-qps 10`, `-c 4`).
 * Each command declares its flags; unknown flags are usage errors.
 */
import { usageError } from './errors.js';

/** Declaration of one flag. */
export interface FlagSpec {
  /** Long name without dashes (`output`); accepted as `--output` and `-output`. */
  readonly name: string;
  /** Other spellings without dashes (`o`, `qps`). */
  readonly aliases?: readonly string[];
  readonly type: 'string' | 'boolean' | 'number';
  /** May be given several times; the value is then an array. */
  readonly multiple?: boolean;
  readonly description: string;
  /** Placeholder shown in help (`FILE`). */
  readonly valueName?: string;
  readonly default?: string | number | boolean;
}

/** Parsed flags and positional arguments. */
export interface ParsedArgs {
  readonly flags: Readonly<Record<string, string | number | boolean | readonly (string | number)[] | undefined>>;
  readonly positionals: readonly string[];
  /** Arguments after a bare `--`. */
  readonly rest: readonly string[];
}

/** Parses `argv` against the flag specs; throws a usage error on unknown flags or bad values. */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set(s.name, s);
    for (const a of s.aliases ?? []) byName.set(a, s);
  }
  const flags: Record<string, string | number | boolean | (string | number)[] | undefined> = {};
  for (const s of specs) if (s.default !== undefined) flags[s.name] = s.default;
  const positionals: string[] = [];
  let rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (arg === '-' || !arg.startsWith('-') || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const key = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(key);
    if (!spec) throw usageError(`unknown flag ${arg}`);
    let raw: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (spec.type === 'boolean') {
      const v = raw === undefined ? true : raw !== 'false' && raw !== '0';
      flags[spec.name] = v;
      continue;
    }
    if (raw === undefined) {
      if (i + 1 >= argv.length) throw usageError(`flag ${arg} needs a value`);
      raw = argv[++i]!;
    }
    let value: string | number = raw;
    if (spec.type === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw usageError(`flag ${arg} needs a number, got ${JSON.stringify(raw)}`);
      value = n;
    }
    if (spec.multiple) {
      const prev = flags[spec.name];
      flags[spec.name] = Array.isArray(prev) ? [...prev, value] : [value];
    } else flags[spec.name] = value;
  }
  return { flags, positionals, rest };
}

/** Reads a string flag. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : v === undefined ? undefined : String(v);
}

/** Reads a repeated string flag as an array. */
export function listFlag(args: ParsedArgs, name: string): string[] {
  const v = args.flags[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

/** Reads a number flag. */
export function numberFlag(args: ParsedArgs, name: string): number | undefined {
  const v = args.flags[name];
  return typeof v === 'number' ? v : undefined;
}

/** Reads a boolean flag. */
export function boolFlag(args: ParsedArgs, name: string): boolean {
  return args.flags[name] === true;
}

/** Formats flag specs as help lines. */
export function formatFlags(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const names = [s.name, ...(s.aliases ?? [])].map((n) => (n.length === 1 ? `-${n}` : `--${n}`)).join(', ');
    const value = s.type === 'boolean' ? '' : ` ${s.valueName ?? (s.type === 'number' ? 'N' : 'VALUE')}`;
    const def = s.default !== undefined && s.default !== false ? ` (default ${JSON.stringify(s.default)})` : '';
    return [`  ${names}${value}`, `${s.description}${def}`] as const;
  });
  const width = Math.max(0, ...rows.map((r) => r[0].length)) + 2;
  return rows.map(([a, b]) => a.padEnd(width) + b).join('\n');
}
