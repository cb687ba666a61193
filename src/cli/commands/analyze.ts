/**
 * `weft analyze [PATH …]`: istioctl analyze for files. Prints istioctl's message lines (or JSON /
 * YAML), the `✔ No validation issues found …` line when clean, and exits 79 when any message is
 * at or above the failure threshold (Error by default).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Level } from '../../config/diagnostic.js';
import { loadPaths } from '../../config/load.js';
import { analyzeLoaded } from '../../analyze/analyze.js';
import { atLeast, ANALYSIS_DOCS_URL, formatMessages, type OutputFormat } from '../../analyze/format.js';
import { parseSuppression, type Suppression } from '../../analyze/filter.js';
import { messageTypeByCode } from '../../analyze/messages.js';
import type { MeshConfig } from '../../config/mesh-config.js';
import { boolFlag, listFlag, stringFlag, type ParsedArgs } from '../args.js';
import type { CliIO, Command } from '../command.js';
import { readAll } from './shared.js';
import { meshConfigFileFlag } from './mesh-config-flags.js';
import { CliError, ExitCode, usageError } from '../errors.js';

const LEVELS: readonly Level[] = ['Info', 'Warning', 'Error'];

function level(args: ParsedArgs, flag: string, fallback: Level): Level {
  const v = stringFlag(args, flag);
  if (v === undefined) return fallback;
  const found = LEVELS.find((l) => l.toLowerCase() === v.toLowerCase());
  if (!found) throw usageError(`invalid --${flag} ${JSON.stringify(v)}: valid values are ${LEVELS.join(', ')}`);
  return found;
}



/** The `analyze` command. */
export const analyzeCommand: Command = {
  name: 'analyze',
  summary: "Analyze Istio configuration and print validation messages (istioctl analyze's codes and format)",
  usage: 'weft analyze [PATH ...] [flags]',
  description: [
    'Analyzes files and directories (default: the current directory; "-" reads stdin) and prints',
    'messages as istioctl does: Level [CODE] (Kind namespace/name file:line) message.',
    'Exit status: 0 when no message reaches --failure-threshold, 79 when one does, 1 when a path',
    'cannot be read, 2 on usage errors.',
    '',
    'Kinds Weft does not run are analyzed around: Istio kinds it does not run (EnvoyFilter, WasmPlugin,',
    'ProxyConfig, the Gateway API) are a warning, WFT0006 (EnvoyFilter patches are still analyzed); other',
    'kinds (NetworkPolicy, PrometheusRule, IstioOperator, ...) are skipped with an info, WFT0007.',
    '',
    'Examples:',
    '  weft analyze samples/bookinfo',
    '  weft analyze -A -o json config/',
    '  weft analyze --suppress "IST0118=Service *" .',
  ].join('\n'),
  flags: [
    { name: 'output', aliases: ['o'], type: 'string', default: 'log', valueName: 'FORMAT', description: 'Output format: one of log, json, yaml' },
    { name: 'suppress', aliases: ['S'], type: 'string', multiple: true, valueName: 'CODE=RESOURCE', description: 'Suppress a message code on a resource ("IST0102=DestinationRule default/primary-dr"); "*" matches any characters; repeatable' },
    { name: 'failure-threshold', type: 'string', default: 'Error', valueName: 'LEVEL', description: 'The severity level at which to exit non-zero: Info, Warning or Error' },
    { name: 'output-threshold', type: 'string', default: 'Info', valueName: 'LEVEL', description: 'The severity level at which to display messages: Info, Warning or Error' },
    { name: 'all-namespaces', aliases: ['A'], type: 'boolean', description: 'Report messages for all namespaces' },
    { name: 'namespace', aliases: ['n'], type: 'string', valueName: 'NS', description: 'Report messages for this namespace (default "default")' },
    { name: 'meshConfigFile', type: 'string', valueName: 'FILE', description: 'Mesh config YAML (rootNamespace, trustDomain, outboundTrafficPolicy, extensionProviders, defaultProviders, ...)' },
    { name: 'color', type: 'boolean', description: 'Colour the level names (default: when stdout is a terminal and TERM is not dumb)' },
  ],
  async run(args: ParsedArgs, io: CliIO): Promise<number> {
    const format = (stringFlag(args, 'output') ?? 'log').toLowerCase();
    if (format !== 'log' && format !== 'json' && format !== 'yaml') throw usageError(`${format} not a valid option for format: use log, json or yaml`);
    const failureThreshold = level(args, 'failure-threshold', 'Error');
    const outputThreshold = level(args, 'output-threshold', 'Info');
    const suppressions: Suppression[] = [];
    for (const s of listFlag(args, 'suppress')) {
      const parsed = parseSuppression(s);
      if (!parsed) throw usageError(`${s} is not a valid suppression value: use CODE=Kind namespace/name`);
      if (!messageTypeByCode(parsed.code) && !parsed.code.startsWith('WFT')) {
        io.stderr.write(`Warning: Supplied message code '${parsed.code}' is an unknown message code and will not have any effect.\n`);
      }
      suppressions.push(parsed);
    }
    const all = boolFlag(args, 'all-namespaces');
    const namespace = all ? undefined : stringFlag(args, 'namespace') ?? 'default';
    const target = all ? 'all namespaces' : `namespace: ${namespace}`;
    const meshConfig = meshConfigFileFlag(stringFlag(args, 'meshConfigFile'), io.cwd, (l) => io.stderr.write(`weft analyze: ${l}\n`));

    const paths = args.positionals.length > 0 ? [...args.positionals] : ['.'];
    const resolved = paths.map((p) => (p === '-' ? p : path.resolve(io.cwd, p)));
    for (let i = 0; i < paths.length; i++) {
      if (paths[i] === '-') continue;
      try {
        await stat(resolved[i]!);
      } catch (err) {
        throw new CliError('LOAD_FAILED', `cannot read ${paths[i]}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    const loaded = await loadPaths(resolved, () => readAll(io.stdin));
    // Report files as the user named them: `dir/x.yaml` for `weft analyze dir`.
    const rel = (f: string) => {
      for (let i = 0; i < paths.length; i++) {
        const r = resolved[i]!;
        if (r !== '-' && (f === r || f.startsWith(r + path.sep))) return f === r ? paths[i]! : path.join(paths[i]!, f.slice(r.length));
      }
      return f;
    };
    const diagnostics = loaded.diagnostics.map((d) => (d.source ? { ...d, source: { ...d.source, file: rel(d.source.file) } } : d));
    const resources = loaded.resources.map((r) => relocate(r, rel));
    // Kinds Weft does not run but analyzes (EnvoyFilter: IST0151–IST0155) go to the analyzers too.
    const notRun = (loaded.notRun ?? []).map((r) => relocate(r, rel));

    const result = analyzeLoaded({ resources, diagnostics, notRun }, { meshConfig, namespace, suppressions, outputThreshold });
    const colorize = args.flags.color === undefined
      ? Boolean(io.stdout.isTTY) && io.env.TERM !== 'dumb'
      : boolFlag(args, 'color');
    const text = formatMessages(result.messages, format as OutputFormat, format === 'log' && colorize);
    if (format !== 'log' || result.messages.length > 0) io.stdout.write(`${text}\n`);
    if (format === 'log' && result.messages.length === 0) io.stderr.write(`\u2714 No validation issues found when analyzing ${target}.\n`);
    if (result.all.some((m) => atLeast(m.level, failureThreshold))) {
      if (format === 'log') {
        io.stderr.write(`Error: Analyzers found issues when analyzing ${target}.\nSee ${ANALYSIS_DOCS_URL} for more information about causes and resolutions.\n`);
      }
      return ExitCode.AnalyzeErrors;
    }
    return ExitCode.Ok;
  },
};

/** A resource whose source positions carry the file name the user gave. */
function relocate<R extends { source: { file: string }; locate: (p: readonly (string | number)[]) => { file: string; line: number; column: number } }>(
  r: R,
  rel: (f: string) => string,
): R {
  return Object.freeze({
    ...r,
    source: { ...r.source, file: rel(r.source.file) },
    locate: (p: readonly (string | number)[]) => {
      const s = r.locate(p);
      return { ...s, file: rel(s.file) };
    },
  });
}

