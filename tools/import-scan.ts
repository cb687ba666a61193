/**
 * Finds the module specifiers a TypeScript file imports, without the compiler: `import … from`,
 * `import type … from`, `export … from`, side-effect `import '…'` and dynamic or type-position
 * `import('…')`. Comments, template literals, regular-expression literals and the contents of other
 * strings are masked first, so an import written inside a comment or a string is not counted.
 * (TypeScript 7, the one installed, has no JavaScript compiler API; the grammar needed here is small.)
 */

/** How a specifier is imported. */
export type ImportKind = 'static' | 'side-effect' | 'dynamic';

/** One import of a module by a file. */
export interface ImportRef {
  /** The specifier exactly as written, e.g. `../xds/protos.js`. */
  readonly specifier: string;
  readonly kind: ImportKind;
  /** 1-based line of the specifier in the file. */
  readonly line: number;
}

/** Tokens after which a `/` starts a regular expression rather than a division. */
const REGEX_AFTER = new Set(['', '(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^']);
const REGEX_AFTER_WORDS = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

/**
 * Returns `source` with comments, template-literal text, regular-expression bodies and the characters
 * inside '…' and "…" strings replaced by spaces (newlines kept), so offsets and lines are unchanged and
 * only code and the quote characters remain.
 */
export function maskNonCode(source: string): string {
  const out = source.split('');
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  // Brace depth of each open `${` inside a template literal, innermost last.
  const templateDepths: number[] = [];
  let depth = 0;
  let last = ''; // last significant token (a punctuation character or a word)
  let i = 0;
  const n = source.length;
  const readTemplate = (start: number): number => {
    // From just after a backtick or a `}` closing a substitution, to the closing backtick or a `${`.
    let j = start;
    while (j < n) {
      const c = source[j];
      if (c === '\\') { j += 2; continue; }
      if (c === '`') { blank(start, j); return j + 1; }
      if (c === '$' && source[j + 1] === '{') { blank(start, j); templateDepths.push(depth); depth++; return j + 2; }
      j++;
    }
    blank(start, n);
    return n;
  };
  while (i < n) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      blank(i, stop);
      i = stop;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      blank(i, stop);
      i = stop;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n && source[j] !== c && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
      blank(i + 1, Math.min(j, n));
      i = j + 1;
      last = 'string';
      continue;
    }
    if (c === '`') {
      i = readTemplate(i + 1);
      last = 'string';
      continue;
    }
    if (c === '/' && (REGEX_AFTER.has(last) || REGEX_AFTER_WORDS.has(last))) {
      let j = i + 1;
      let inClass = false;
      while (j < n && source[j] !== '\n') {
        const r = source[j];
        if (r === '\\') { j += 2; continue; }
        if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        j++;
      }
      blank(i + 1, Math.min(j, n));
      i = j + 1;
      last = 'regex';
      continue;
    }
    if (c === '{') depth++;
    if (c === '}') {
      depth--;
      if (templateDepths.length > 0 && templateDepths[templateDepths.length - 1] === depth) {
        templateDepths.pop();
        i = readTemplate(i + 1);
        last = 'string';
        continue;
      }
    }
    if (/[A-Za-z0-9_$]/.test(c)) {
      let j = i;
      while (j < n && /[A-Za-z0-9_$]/.test(source[j])) j++;
      last = source.slice(i, j);
      i = j;
      continue;
    }
    if (!/\s/.test(c)) last = c;
    i++;
  }
  return out.join('');
}

// Each pattern runs over masked text: a string literal appears there as its quotes around spaces, and
// group `q` is that literal, whose text is read back from the original source at the same offsets.
const STRING = String.raw`(?<q>'[^'\n]*'|"[^"\n]*")`;
const IMPORT_CLAUSE = String.raw`(?:type\s+)?(?:[\w$]+\s*,\s*)?(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\}|[\w$]+)`;
const PATTERNS: readonly { readonly re: RegExp; readonly kind: ImportKind }[] = [
  // import x from '…'; import type { A } from '…'; export { a } from '…'; export * as ns from '…'
  { re: new RegExp(String.raw`(?:^|[;}])\s*(?:import|export)\s+${IMPORT_CLAUSE}\s*from\s*${STRING}`, 'gmd'), kind: 'static' },
  // import '…' (side effects only)
  { re: new RegExp(String.raw`(?:^|[;}])\s*import\s*${STRING}`, 'gmd'), kind: 'side-effect' },
  // await import('…'), typeof import('…'), import('…').Type
  { re: new RegExp(String.raw`(?<![\w$.])import\s*\(\s*${STRING}`, 'gmd'), kind: 'dynamic' },
];

/** Every import of a module by `source` (TypeScript or JavaScript text), in order of appearance. */
export function scanImports(source: string): ImportRef[] {
  const masked = maskNonCode(source);
  const found: { index: number; ref: ImportRef }[] = [];
  for (const { re, kind } of PATTERNS) {
    re.lastIndex = 0;
    for (const m of masked.matchAll(re)) {
      const span = m.indices?.groups?.q;
      if (span === undefined) continue;
      const [start, end] = span;
      const specifier = source.slice(start + 1, end - 1);
      const line = source.slice(0, start).split('\n').length;
      found.push({ index: start, ref: { specifier, kind, line } });
    }
  }
  return found.sort((a, b) => a.index - b.index).map((f) => f.ref);
}
