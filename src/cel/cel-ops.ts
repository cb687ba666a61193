/**
 * The value operations behind {@link compileCel} (cel.ts): field and index access, comparison and
 * arithmetic with CEL's int / double rules, and the supported functions. Every operation returns
 * {@link ERR} instead of throwing when its operands do not fit, so errors flow as values.
 */
import RE2 from 're2';
import { CelError, type CelObject, type CelResolver, type CelValue } from './cel.js';

/** The error value of an evaluation. */
export const ERR: unique symbol = Symbol('cel.error');
/** A value or an error. */
export type V = CelValue | typeof ERR;
/** A compiled sub-expression. */
export type Node = (r: CelResolver) => V;

/** A constant. */
export function constant(v: CelValue): Node {
  return () => v;
}

/** A numeric literal: integers as bigint, others as double. */
export function parseNumber(s: string): number | bigint {
  const unsigned = s.endsWith('u');
  const body = unsigned ? s.slice(0, -1) : s;
  if (/^0x/i.test(body) || /^[0-9]+$/.test(body)) return BigInt(body);
  return Number(body);
}

function isObject(v: V): v is CelObject {
  return typeof v === 'object' && v !== null && 'celField' in v;
}

/** Reads a field of a message-like value or a map. */
export function field(o: V, name: string): V {
  if (isObject(o)) {
    const v = o.celField(name);
    return v === undefined ? ERR : v;
  }
  if (o instanceof Map) {
    const v = (o as ReadonlyMap<string, CelValue>).get(name);
    return v === undefined ? ERR : v;
  }
  return ERR;
}

/** Indexes a map (string key), a list, or a message. */
export function index(o: V, k: V): V {
  if (o instanceof Map && typeof k === 'string') {
    const v = (o as ReadonlyMap<string, CelValue>).get(k);
    return v === undefined ? ERR : v;
  }
  if (Array.isArray(o) && (typeof k === 'bigint' || typeof k === 'number')) {
    const v = (o as readonly CelValue[])[Number(k)];
    return v === undefined ? ERR : v;
  }
  if (isObject(o) && typeof k === 'string') return field(o, k);
  return ERR;
}

/** Numbers: CEL ints are bigint here; mixed int/double comparisons compare numerically. */
function num(v: V): number | undefined {
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined;
}

/** A comparison or `in`. */
export function compare(op: string, a: V, b: V): V {
  if (a === ERR || b === ERR) return ERR;
  if (op === 'in') {
    if (b instanceof Map) return typeof a === 'string' ? (b as ReadonlyMap<string, CelValue>).has(a) : ERR;
    if (Array.isArray(b)) return (b as readonly CelValue[]).some((x) => compare('==', a, x) === true);
    return ERR;
  }
  const na = num(a);
  const nb = num(b);
  if (na !== undefined && nb !== undefined) {
    switch (op) {
      case '==': return na === nb;
      case '!=': return na !== nb;
      case '<': return na < nb;
      case '<=': return na <= nb;
      case '>': return na > nb;
      default: return na >= nb;
    }
  }
  if (op === '==' || op === '!=') {
    const eq = a === b;
    if (typeof a !== typeof b && a !== null && b !== null) return ERR;
    return op === '==' ? eq : !eq;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    switch (op) {
      case '<': return a < b;
      case '<=': return a <= b;
      case '>': return a > b;
      default: return a >= b;
    }
  }
  return ERR;
}

/** An arithmetic operator (and string `+`). */
export function arith(op: string, a: V, b: V): V {
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    if ((op === '/' || op === '%') && b === 0n) return ERR;
    switch (op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      case '/': return a / b;
      default: return a % b;
    }
  }
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    const x = Number(a);
    const y = Number(b);
    switch (op) {
      case '+': return x + y;
      case '-': return x - y;
      case '*': return x * y;
      case '/': return x / y;
      default: return x % y;
    }
  }
  return ERR;
}

const regexCache = new Map<string, RE2>();

/** A receiver-style call (`s.startsWith(x)`); unknown names are a compile error. */
export function method(recv: Node, name: string, args: Node[]): Node {
  const arity = (n: number) => {
    if (args.length !== n) throw new CelError(`${name}() takes ${n} argument${n === 1 ? '' : 's'}`);
  };
  switch (name) {
    case 'startsWith':
    case 'endsWith':
    case 'contains':
    case 'matches': {
      arity(1);
      const arg = args[0]!;
      return (r) => {
        const s = recv(r);
        const x = arg(r);
        if (typeof s !== 'string' || typeof x !== 'string') return ERR;
        if (name === 'startsWith') return s.startsWith(x);
        if (name === 'endsWith') return s.endsWith(x);
        if (name === 'contains') return s.includes(x);
        let re = regexCache.get(x);
        if (!re) {
          try {
            re = new RE2(x);
          } catch {
            return ERR;
          }
          if (regexCache.size < 256) regexCache.set(x, re);
        }
        return re.test(s);
      };
    }
    case 'size':
      arity(0);
      return (r) => size(recv(r));
    default:
      throw new CelError(`unsupported function ${name}()`);
  }
}

function size(v: V): V {
  if (typeof v === 'string') return BigInt([...v].length);
  if (v instanceof Map) return BigInt(v.size);
  if (Array.isArray(v)) return BigInt(v.length);
  return ERR;
}

/** A global function call (`size`, `int`, `string`). */
export function globalCall(name: string, args: Node[]): Node {
  if (args.length !== 1) throw new CelError(`${name}() takes 1 argument`);
  const a = args[0]!;
  switch (name) {
    case 'size':
      return (r) => size(a(r));
    case 'int':
      return (r) => {
        const v = a(r);
        if (typeof v === 'bigint') return v;
        if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
        if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) return BigInt(v);
        return ERR;
      };
    case 'string':
      return (r) => {
        const v = a(r);
        return typeof v === 'string' || typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : ERR;
      };
    default:
      throw new CelError(`unsupported function ${name}()`);
  }
}
