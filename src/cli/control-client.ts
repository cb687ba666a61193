/**
 * The CLI's client for the control plane's HTTP API (port 15014): apply, get, delete, sync status.
 * It finds the API token without the user typing it (api-auth.ts on the server side), in order:
 * `--token-file FILE`, env `WEFT_API_TOKEN`, `<state>/api-token` where the state directory is
 * `--state DIR` or env `WEFT_STATE`, else `./.weft/api-token` (`weft up`'s default state directory)
 * and `./.weft/state/api-token` (`weft control`'s). An `https://` server is verified against the mesh
 * root (`--ca-root FILE`, env `WEFT_CA_ROOT`). Unreachable servers and refusals become one clear CliError.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { ParsedArgs } from './args.js';
import { stringFlag } from './args.js';
import { CliError } from './errors.js';
import { API_TOKEN_ENV, API_TOKEN_FILE } from '../control/api-auth.js';

/** Default address of the local control plane's HTTP API. */
export const DEFAULT_SERVER = 'http://127.0.0.1:15014';

/** Flag spec shared by every command that talks to the control plane. */
export const SERVER_FLAG = {
  name: 'server',
  type: 'string',
  valueName: 'URL',
  description: 'control plane HTTP API (env WEFT_SERVER)',
} as const;

/** Flags of every command that calls the API: where it is and how to authenticate to it. */
export const API_FLAGS = [
  SERVER_FLAG,
  { name: 'token-file', type: 'string', valueName: 'FILE', description: `API token file (env ${API_TOKEN_ENV} holds the token itself; default STATE/${API_TOKEN_FILE})` },
  { name: 'state', type: 'string', valueName: 'DIR', description: 'state directory of the weft up/control whose API token to use (env WEFT_STATE; default .weft)' },
  { name: 'ca-root', type: 'string', valueName: 'FILE', description: 'mesh root certificate to verify an https:// --server with (env WEFT_CA_ROOT)' },
] as const;

/** Resolves the server URL from the flag, the environment, or the default. */
export function serverUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return (flag ?? env.WEFT_SERVER ?? DEFAULT_SERVER).replace(/\/$/, '');
}

/** Where and as whom the CLI calls the API. */
export interface ApiTarget {
  readonly server: string;
  /** The token, when one was found. */
  readonly token?: string;
  /** Where the token came from (`--token-file /x`, `$WEFT_API_TOKEN`, `.weft/api-token`). */
  readonly tokenSource?: string;
  /** Every place looked in, for the error when none held a token. */
  readonly looked: readonly string[];
  /** PEM of the root an https server must chain to. */
  readonly caRootPem?: string;
}

/** Reads a token file: its first line, trimmed; undefined when absent or empty; CliError when unreadable. */
function readTokenFile(file: string, required: boolean): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!required && code === 'ENOENT') return undefined;
    throw new CliError('TOKEN_UNREADABLE', `cannot read the API token file ${file}: ${code ?? (err as Error).message}`, {
      details: code === 'EACCES' ? 'The token file is readable only by the user that runs the control plane; run weft as that user.' : undefined,
      cause: err,
    });
  }
  const token = text.split('\n')[0]!.trim();
  return token || undefined;
}

/**
 * The API target for a command: server from `--server`/`WEFT_SERVER`, the token as the module
 * comment orders it, the CA root from `--ca-root`/`WEFT_CA_ROOT`.
 */
export function apiTarget(args: ParsedArgs, env: NodeJS.ProcessEnv, cwd: string): ApiTarget {
  const server = serverUrl(stringFlag(args, 'server'), env);
  const caRootFile = stringFlag(args, 'ca-root') ?? env.WEFT_CA_ROOT;
  let caRootPem: string | undefined;
  if (caRootFile && server.startsWith('https:')) {
    try {
      caRootPem = readFileSync(path.resolve(cwd, caRootFile), 'utf8');
    } catch (err) {
      throw new CliError('CA_ROOT_UNREADABLE', `cannot read the CA root ${caRootFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
  }
  const looked: string[] = [];
  const tokenFile = stringFlag(args, 'token-file');
  if (tokenFile) {
    const token = readTokenFile(path.resolve(cwd, tokenFile), true);
    return { server, token, tokenSource: `--token-file ${tokenFile}`, looked: [`--token-file ${tokenFile}`], caRootPem };
  }
  looked.push(`$${API_TOKEN_ENV}`);
  const fromEnv = env[API_TOKEN_ENV]?.trim();
  if (fromEnv) return { server, token: fromEnv, tokenSource: `$${API_TOKEN_ENV}`, looked, caRootPem };
  const state = stringFlag(args, 'state') ?? env.WEFT_STATE;
  const candidates = state ? [path.join(state, API_TOKEN_FILE)] : [path.join('.weft', API_TOKEN_FILE), path.join('.weft', 'state', API_TOKEN_FILE)];
  for (const c of candidates) {
    looked.push(c);
    const token = readTokenFile(path.resolve(cwd, c), false);
    if (token) return { server, token, tokenSource: c, looked, caRootPem };
  }
  return { server, looked, caRootPem };
}

/** A request to the API. */
export interface ApiRequest {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * Calls the API with the target's token and parses its JSON answer; throws CliError
 * SERVER_UNREACHABLE when nothing answers, UNAUTHORIZED (naming where the token came from or where
 * it was looked for) on 401, and the server's code on other refusals of its security gate.
 */
export async function callApi<T>(target: ApiTarget, apiPath: string, init: ApiRequest = {}): Promise<{ status: number; body: T }> {
  const { server } = target;
  const headers: Record<string, string> = { accept: 'application/json', ...(init.headers ?? {}) };
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  let res: { status: number; text: string };
  try {
    res = await request(`${server}${apiPath}`, init.method ?? 'GET', headers, init.body, target.caRootPem);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (/CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS/.test(code)) {
      throw new CliError('TLS_VERIFY_FAILED', `cannot verify the control plane's certificate at ${server}: ${(err as Error).message}`, {
        details: 'Pass the mesh root with --ca-root FILE (root-cert.pem in the control plane state directory, or the plug-in CA root).',
        cause: err,
      });
    }
    throw new CliError('SERVER_UNREACHABLE', `cannot reach the control plane at ${server}`, {
      details: 'Is `weft up` or `weft control` running? Use --server to point elsewhere.',
      cause: err,
    });
  }
  let body: T;
  try {
    body = JSON.parse(res.text) as T;
  } catch (err) {
    throw new CliError('BAD_RESPONSE', `unexpected answer from ${server}${apiPath} (HTTP ${res.status})`, { cause: err });
  }
  if (res.status === 401) {
    throw new CliError(
      'UNAUTHORIZED',
      target.token ? `the control plane at ${server} refused the API token from ${target.tokenSource}` : `no API token found for the control plane at ${server} (looked in: ${target.looked.join(', ')})`,
      { details: `The token is written at start to STATE/${API_TOKEN_FILE} of the running weft up (STATE default .weft) or weft control (default .weft/state); pass --state DIR, --token-file FILE or set ${API_TOKEN_ENV}.` },
    );
  }
  const error = (body as { error?: unknown } | null)?.error;
  if ((res.status === 403 || res.status === 421 || res.status === 415) && typeof error === 'string') {
    throw new CliError(error, `${(body as { message?: string }).message ?? 'refused'} (${server})`);
  }
  return { status: res.status, body };
}

function request(url: string, method: string, headers: Record<string, string>, body: string | undefined, caRootPem: string | undefined): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const options: https.RequestOptions = { method, headers: body !== undefined ? { ...headers, 'content-length': String(Buffer.byteLength(body)) } : headers, timeout: 30_000 };
    if (u.protocol === 'https:' && caRootPem) options.ca = caRootPem;
    const req = (u.protocol === 'https:' ? https : http).request(u, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}
