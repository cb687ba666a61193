/**
 * The CLI's client for the control plane's HTTP API (port 15014): apply, get, delete, sync status.
 * Unreachable servers become one clear CliError.
 */
import { CliError } from './errors.js';

/** Default address of the local control plane's HTTP API. */
export const DEFAULT_SERVER = 'http://127.0.0.1:15014';

/** Flag spec shared by every command that talks to the control plane. */
export const SERVER_FLAG = {
  name: 'server',
  type: 'string',
  valueName: 'URL',
  description: 'control plane HTTP API (env WEFT_SERVER)',
} as const;

/** Resolves the server URL from the flag, the environment, or the default. */
export function serverUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return (flag ?? env.WEFT_SERVER ?? DEFAULT_SERVER).replace(/\/$/, '');
}

/** Calls the API and parses its JSON answer; throws CliError SERVER_UNREACHABLE when nothing answers. */
export async function callApi<T>(server: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  let res: Response;
  try {
    res = await fetch(`${server}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new CliError('SERVER_UNREACHABLE', `cannot reach the control plane at ${server}`, {
      details: 'Is `weft up` or `weft control` running? Use --server to point elsewhere.',
      cause: err,
    });
  }
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as T };
  } catch (err) {
    throw new CliError('BAD_RESPONSE', `unexpected answer from ${server}${path} (HTTP ${res.status})`, { cause: err });
  }
}
