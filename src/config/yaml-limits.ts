/**
 * Limits on configuration input, so that no file or apply can exhaust the control plane: the
 * bytes of a file and of one document, the documents in a file, the nesting depth of a document,
 * alias expansions and the resources in one apply. Each limit, when exceeded, is one Error
 * diagnostic with its own stable code, naming the file and the line where the limit was crossed.
 *
 * The figures follow what Kubernetes itself accepts: an object is at most 1.5 MiB (etcd's default
 * `--max-request-bytes`, which the API server's request limit mirrors), and the `yaml` package's
 * `maxAliasCount` guard is the "billion laughs" defence the library documents (its default is 100).
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Node } from 'yaml';

/** The limits, documented in one place (README "Config input limits"). */
export const YamlLimits = {
  /** Bytes of one file (or one applied text): 16 MiB. */
  maxFileBytes: 16 * 1024 * 1024,
  /** Bytes of one YAML document: 1.5 MiB, Kubernetes' (etcd's) largest object. */
  maxDocumentBytes: 1.5 * 1024 * 1024,
  /** Documents in one file. */
  maxDocumentsPerFile: 10_000,
  /** Nesting depth of maps and sequences in one document (Istio config is rarely deeper than 15). */
  maxDepth: 100,
  /** Alias expansions in one document (the `yaml` package's `maxAliasCount`). */
  maxAliasCount: 100,
  /** Resources in one `weft apply` (one batch); the config API refuses more with 413 before parsing (control/apply-limits.ts). */
  maxResourcesPerApply: 5_000,
} as const;

/** Stable codes, one per limit (WFT0011–WFT0016). */
export const LimitCodes = {
  FileTooLarge: 'WFT0011',
  DocumentTooLarge: 'WFT0012',
  TooManyDocuments: 'WFT0013',
  TooDeep: 'WFT0014',
  TooManyAliases: 'WFT0015',
  TooManyResources: 'WFT0016',
} as const;

/** A limit crossed before parsing: the code, the message and the 1-based line. */
export interface LimitViolation {
  readonly code: string;
  readonly message: string;
  readonly line: number;
}

const MiB = (n: number) => `${+(n / 1024 / 1024).toFixed(2)} MiB`;

/**
 * Checks a file's text before the YAML parser sees it: size, document count and document size,
 * counting document markers (`---` at the start of a line, which YAML 1.2 §9.1 makes a document
 * boundary wherever it appears, even inside a multi-line scalar). Linear, no allocation per line.
 */
export function checkTextLimits(text: string): LimitViolation | undefined {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > YamlLimits.maxFileBytes) {
    return { code: LimitCodes.FileTooLarge, line: 1, message: `file is ${MiB(bytes)}: files are limited to ${MiB(YamlLimits.maxFileBytes)} (split it into several files)` };
  }
  let documents = 0;
  let line = 0;
  let docStart = 0;
  let docLine = 1;
  const tooBig = (end: number): LimitViolation | undefined => {
    // Characters are at most 4 bytes; count bytes only when the character count could be over.
    if (end - docStart <= YamlLimits.maxDocumentBytes / 4) return undefined;
    const docBytes = Buffer.byteLength(text.slice(docStart, end), 'utf8');
    return docBytes > YamlLimits.maxDocumentBytes
      ? { code: LimitCodes.DocumentTooLarge, line: docLine, message: `document is ${MiB(docBytes)}: a document is limited to ${MiB(YamlLimits.maxDocumentBytes)} (Kubernetes' largest object)` }
      : undefined;
  };
  // `lineStart` walks the start of every line: 0, then one past each LF.
  for (let lineStart = 0; ; ) {
    line++;
    if (text.startsWith('---', lineStart)) {
      const after = text.charCodeAt(lineStart + 3);
      // `---` followed by end, space, tab, CR or LF.
      if (Number.isNaN(after) || after === 32 || after === 9 || after === 13 || after === 10) {
        const big = tooBig(lineStart);
        if (big) return big;
        // Content before the first marker is a document of its own.
        if (documents === 0 && text.slice(0, lineStart).trim() !== '') documents++;
        documents++;
        docStart = lineStart;
        docLine = line;
        if (documents > YamlLimits.maxDocumentsPerFile) {
          return {
            code: LimitCodes.TooManyDocuments,
            line,
            message: `more than ${YamlLimits.maxDocumentsPerFile.toLocaleString('en-US')} documents in one file (the limit; split it into several files)`,
          };
        }
      }
    }
    const nl = text.indexOf('\n', lineStart);
    if (nl === -1) break;
    lineStart = nl + 1;
  }
  return tooBig(text.length);
}

/**
 * The deepest nesting of maps and sequences in a document, walked without recursion, and the node
 * where `maxDepth` is first exceeded (undefined when within the limit).
 */
export function findTooDeep(root: Node | null | undefined, maxDepth: number = YamlLimits.maxDepth): Node | undefined {
  if (!root) return undefined;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (isMap(node) || isSeq(node)) {
      if (depth > maxDepth) return node as Node;
      for (const item of node.items) {
        if (isPair(item)) {
          if (item.key && !isScalar(item.key) && !isAlias(item.key)) stack.push([item.key, depth + 1]);
          stack.push([item.value, depth + 1]);
        } else stack.push([item, depth + 1]);
      }
    }
  }
  return undefined;
}

/** The Error message when one apply carries more than `limit` resources (the resource there is named by file:line). */
export function tooManyResourcesMessage(limit: number = YamlLimits.maxResourcesPerApply): string {
  return `more than ${limit.toLocaleString('en-US')} resources in one apply (the limit): this is the first one over it; apply them in several batches`;
}
