/**
 * A practical subset of CEL (the Common Expression Language) for access log filters, as Envoy's
 * `envoy.access_loggers.extension_filters.cel` evaluates them over request attributes:
 * literals (int, uint `1u`, double, 'string' / "string", true, false, null), attribute paths
 * (`response.code`, `request.headers['x-user']`, `connection.mtls`), `[]` indexing, `!`, unary `-`,
 * `* / % + -`, comparisons, `in`, `&&`, `||`, `?:`, `has(a.b)`, `size(x)`, `int(x)`, `string(x)`,
 * and the string methods `startsWith`, `endsWith`, `contains`, `matches` (RE2 syntax).
 *
 * Errors (missing attributes, wrong types) follow CEL: `&&` / `||` absorb an error when the other
 * side decides the result; otherwise the whole expression is an error, which a filter treats as
 * false ("expression errors are considered false", Envoy). Parse errors throw {@link CelError}.
 */
import { WeftError } from '../util/weft-error.js';
import { arith, compare, constant, ERR, field, globalCall, index, method, parseNumber, type Node } from './cel-ops.js';

/** A CEL value as Weft evaluates it. */
export type CelValue = string | number | bigint | boolean | null | ReadonlyMap<string, CelValue> | CelObject | readonly CelValue[] | undefined;

/** A message-like attribute (`request`, `response`…): fields are read lazily. */
export interface CelObject {
  readonly celField: (name: string) => CelValue;
}

/** Resolves top-level identifiers (`request`, `response`, `connection`, …). */
export type CelResolver = (name: string) => CelValue;

/** A syntax error, or an unsupported construct. */
export class CelError extends WeftError {
  readonly code = 'CEL_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'CelError';
  }
}

/** A compiled expression: evaluate with a resolver; `undefined` means an evaluation error. */
export interface CelProgram {
  readonly source: string;
  evaluate(resolve: CelResolver): CelValue;
}


interface Token { readonly t: 'num' | 'str' | 'id' | 'op' | 'end'; readonly v: string; readonly at: number }

const OPS = ['&&', '||', '==', '!=', '<=', '>=', '<', '>', '!', '+', '-', '*', '/', '%', '(', ')', '[', ']', '.', ',', '?', ':'];

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (/[0-9]/.test(c)) {
      const m = /^(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)u?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: m[0], at: i });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0], at: i });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new CelError(`unterminated string at offset ${i}`);
      out.push({ t: 'str', v: s, at: i });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new CelError(`unexpected character '${c}' at offset ${i}`);
    out.push({ t: 'op', v: op, at: i });
    i += op.length;
  }
  out.push({ t: 'end', v: '', at: src.length });
  return out;
}

/** Compiles `source`; throws {@link CelError} for syntax outside the supported subset. */
export function compileCel(source: string): CelProgram {
  const toks = tokenize(source);
  let p = 0;
  const peek = (): Token => toks[p]!;
  const isOp = (v: string): boolean => peek().t === 'op' && peek().v === v;
  const expect = (v: string): void => {
    if (!isOp(v)) throw new CelError(`expected '${v}' at offset ${peek().at}`);
    p++;
  };

  const ternary = (): Node => {
    const cond = or();
    if (!isOp('?')) return cond;
    p++;
    const a = ternary();
    expect(':');
    const b = ternary();
    return (r) => {
      const c = cond(r);
      return c === true ? a(r) : c === false ? b(r) : ERR;
    };
  };
  const or = (): Node => {
    let left = and();
    while (isOp('||')) {
      p++;
      const l = left;
      const right = and();
      left = (r) => {
        const a = l(r);
        if (a === true) return true;
        const b = right(r);
        if (b === true) return true;
        return a === false && b === false ? false : ERR;
      };
    }
    return left;
  };
  const and = (): Node => {
    let left = relation();
    while (isOp('&&')) {
      p++;
      const l = left;
      const right = relation();
      left = (r) => {
        const a = l(r);
        if (a === false) return false;
        const b = right(r);
        if (b === false) return false;
        return a === true && b === true ? true : ERR;
      };
    }
    return left;
  };
  const relation = (): Node => {
    let left = additive();
    for (;;) {
      const t = peek();
      const op = t.t === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.v) ? t.v : t.t === 'id' && t.v === 'in' ? 'in' : undefined;
      if (op === undefined) return left;
      p++;
      const l = left;
      const right = additive();
      left = (r) => compare(op, l(r), right(r));
    }
  };
  const additive = (): Node => {
    let left = multiplicative();
    while (isOp('+') || isOp('-')) {
      const op = toks[p++]!.v;
      const l = left;
      const right = multiplicative();
      left = (r) => arith(op, l(r), right(r));
    }
    return left;
  };
  const multiplicative = (): Node => {
    let left = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = toks[p++]!.v;
      const l = left;
      const right = unary();
      left = (r) => arith(op, l(r), right(r));
    }
    return left;
  };
  const unary = (): Node => {
    if (isOp('!')) {
      p++;
      const e = unary();
      return (r) => {
        const v = e(r);
        return typeof v === 'boolean' ? !v : ERR;
      };
    }
    if (isOp('-')) {
      p++;
      const e = unary();
      return (r) => arith('-', 0, e(r));
    }
    return member();
  };
  const member = (): Node => {
    let e = primary();
    for (;;) {
      if (isOp('.')) {
        p++;
        const name = peek();
        if (name.t !== 'id') throw new CelError(`expected a field name at offset ${name.at}`);
        p++;
        if (isOp('(')) {
          const args = callArgs();
          e = method(e, name.v, args);
        } else {
          const obj = e;
          e = (r) => field(obj(r), name.v);
        }
      } else if (isOp('[')) {
        p++;
        const idx = ternary();
        expect(']');
        const obj = e;
        e = (r) => index(obj(r), idx(r));
      } else return e;
    }
  };
  const callArgs = (): Node[] => {
    expect('(');
    const args: Node[] = [];
    if (!isOp(')')) {
      args.push(ternary());
      while (isOp(',')) {
        p++;
        args.push(ternary());
      }
    }
    expect(')');
    return args;
  };
  const primary = (): Node => {
    const t = peek();
    p++;
    if (t.t === 'num') return constant(parseNumber(t.v));
    if (t.t === 'str') return constant(t.v);
    if (t.t === 'op' && t.v === '(') {
      const e = ternary();
      expect(')');
      return e;
    }
    if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') return constant(t.v === 'true');
      if (t.v === 'null') return constant(null);
      if (isOp('(')) {
        if (t.v === 'has') return hasMacro();
        return globalCall(t.v, callArgs());
      }
      const name = t.v;
      return (r) => {
        const v = r(name);
        return v === undefined ? ERR : v;
      };
    }
    throw new CelError(`unexpected '${t.v || 'end of expression'}' at offset ${t.at}`);
  };
  const hasMacro = (): Node => {
    expect('(');
    let recv = primary();
    let last: string | undefined;
    while (isOp('.')) {
      p++;
      const t = peek();
      if (t.t !== 'id') throw new CelError(`expected a field name at offset ${t.at}`);
      p++;
      if (last !== undefined) {
        const o = recv;
        const n = last;
        recv = (r) => field(o(r), n);
      }
      last = t.v;
    }
    expect(')');
    if (last === undefined) throw new CelError('has() needs a field selection like has(request.headers.x)');
    const fieldName = last;
    return (r) => {
      const o = recv(r);
      if (o === ERR) return ERR;
      return field(o, fieldName) !== ERR;
    };
  };
  const result = ternary();
  if (peek().t !== 'end') throw new CelError(`unexpected '${peek().v}' at offset ${peek().at}`);
  return {
    source,
    evaluate(resolve) {
      const v = result(resolve);
      return v === ERR ? undefined : v;
    },
  };
}

