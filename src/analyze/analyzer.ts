/**
 * The Analyzer interface: one check over the model snapshot that returns analysis messages. Each
 * analyzer lives in its own file under `analyzers/` and is listed in `analyzers/index.ts`;
 * `run-analyzers.ts` runs them all. Analyzers are pure: same snapshot, same messages.
 */
import type { Diagnostic, SourceRef } from '../config/diagnostic.js';
import type { Resource } from '../config/resource.js';
import type { AnalysisContext } from './context.js';
import type { MessageType, TemplateArg } from './messages.js';
import { renderTemplate } from './messages.js';

/** One analysis check. */
export interface Analyzer {
  /** Stable name, istioctl style (`virtualservice.DestinationHostAnalyzer`). */
  readonly name: string;
  /** One line for `--list-analyzers`-style help. */
  readonly description: string;
  /** Kinds the analyzer reads (documentation, and lets a runner skip analyzers with no input). */
  readonly inputs: readonly string[];
  analyze(ctx: AnalysisContext): Diagnostic[];
}

/**
 * Builds one message about `resource`, located at `path` inside it (the resource's first line when
 * the path is empty or absent), with the catalog's code, level and rendered text.
 */
export function message(type: MessageType, resource: Resource, path: readonly (string | number)[] | undefined, ...args: TemplateArg[]): Diagnostic {
  const source: SourceRef = path && path.length > 0 ? resource.locate(path) : resource.source;
  return {
    code: type.code,
    level: type.level,
    message: renderTemplate(type.template, args),
    source,
    resource: { kind: resource.kind, namespace: resource.metadata.namespace, name: resource.metadata.name },
  };
}
