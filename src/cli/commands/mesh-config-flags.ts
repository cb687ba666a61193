/**
 * Mesh config from command-line flags, shared by `weft control` and `weft up`: `--mesh-config FILE`
 * (Istio's MeshConfig YAML, or a ConfigMap holding it under `data.mesh`), then the access log
 * shortcuts on top — `--access-log-file PATH` / `--access-log-encoding TEXT|JSON` (Istio's
 * `accessLogFile` / `accessLogEncoding`) and `--access-log` (`accessLogFile: /dev/stdout`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MeshConfigError, parseMeshConfig } from '../../analyze/mesh-config-file.js';
import { DEFAULT_MESH_CONFIG, meshConfigWith, type MeshConfig } from '../../config/mesh-config.js';
import type { FlagSpec, ParsedArgs } from '../args.js';
import { boolFlag, stringFlag } from '../args.js';
import { CliError, usageError } from '../errors.js';

/** The flags {@link meshConfigFromFlags} reads. */
export const MESH_CONFIG_FLAGS: readonly FlagSpec[] = [
  { name: 'mesh-config', type: 'string', valueName: 'FILE', description: 'Istio MeshConfig YAML (extensionProviders, defaultProviders, accessLogFile, ...)' },
  { name: 'access-log-file', type: 'string', valueName: 'PATH', description: 'mesh-wide access log file (meshConfig accessLogFile), e.g. /dev/stdout' },
  { name: 'access-log-encoding', type: 'string', valueName: 'TEXT|JSON', description: 'access log encoding (meshConfig accessLogEncoding)' },
];

/** `--access-log`: every proxy logs to its stdout (`weft up`). */
export const ACCESS_LOG_FLAG: FlagSpec = { name: 'access-log', type: 'boolean', description: 'turn on access logs mesh-wide (accessLogFile: /dev/stdout)' };

/** The mesh config the flags describe; undefined when none was given (Istio's defaults apply). */
export function meshConfigFromFlags(args: ParsedArgs, cwd: string, warn?: (line: string) => void): MeshConfig | undefined {
  const file = stringFlag(args, 'mesh-config');
  const logFile = stringFlag(args, 'access-log-file') ?? (boolFlag(args, 'access-log') ? '/dev/stdout' : undefined);
  const encoding = stringFlag(args, 'access-log-encoding');
  if (encoding !== undefined && encoding !== 'TEXT' && encoding !== 'JSON') throw usageError(`--access-log-encoding: expected TEXT or JSON, got ${encoding}`);
  if (file === undefined && logFile === undefined && encoding === undefined) return undefined;
  const base = file !== undefined ? readMeshConfigFile(file, cwd, warn) : DEFAULT_MESH_CONFIG;
  return meshConfigWith({
    ...base,
    ...(logFile !== undefined ? { accessLogFile: logFile } : {}),
    ...(encoding !== undefined ? { accessLogEncoding: encoding } : {}),
  });
}

/**
 * Reads an Istio MeshConfig file (`--mesh-config`, `--meshConfigFile`) relative to `cwd`; unreadable
 * or invalid files become CliErrors (`LOAD_FAILED`, `INVALID_MESH_CONFIG`) naming the file.
 */
export function readMeshConfigFile(file: string, cwd: string, warn?: (line: string) => void): MeshConfig {
  const p = path.resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch (err) {
    throw new CliError('LOAD_FAILED', `cannot read mesh config ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return parseMeshConfig(text, (m) => warn?.(`${file}: warning: ${m}`));
  } catch (err) {
    if (err instanceof MeshConfigError) throw new CliError('INVALID_MESH_CONFIG', `${file}: ${err.message}`);
    throw err;
  }
}

/** `--meshConfigFile` (analyze, explain): the mesh config it names, or undefined for Istio's defaults. */
export function meshConfigFileFlag(file: string | undefined, cwd: string, warn: (line: string) => void): MeshConfig | undefined {
  return file === undefined ? undefined : readMeshConfigFile(file, cwd, warn);
}
