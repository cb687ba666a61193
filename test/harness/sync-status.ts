/**
 * Waiting for proxies to sync, through the control plane's HTTP API (`GET /debug/syncz`, what `weft
 * proxy-status` reads and istiod's `/debug/syncz` serves) instead of spawning the `weft` CLI on
 * every poll. Tests that check the CLI's output run it once, after the wait.
 */
import http from 'node:http';
import type { ProxySyncStatus } from '../../src/xds/sync-status.js';
import type { DisconnectedProxy } from '../../src/control/proxy-presence.js';
import { proxyDisplayName } from '../../src/cli/commands/proxy-status.js';
import { apiAuthHeaders } from '../helpers/weft-process.js';
import { eventually, type PollOptions } from './eventually.js';

/** The body of `/debug/syncz`. */
export interface Syncz {
  readonly version: string;
  readonly proxies: readonly ProxySyncStatus[];
  readonly disconnected?: readonly DisconnectedProxy[];
}

/** The four xDS types `weft proxy-status` shows. */
export const SHOWN_TYPES = ['CDS', 'LDS', 'EDS', 'RDS'] as const;

/** One proxy's state for one type as `weft proxy-status` prints it (`STALE` for a NACKed, unsynced type). */
export function shownState(p: ProxySyncStatus, type: (typeof SHOWN_TYPES)[number]): string {
  const s = p.types[type];
  return s.nackMessage && s.state !== 'SYNCED' ? 'STALE' : s.state;
}

/** The proxy's name as `weft proxy-status` shows it (`pod.namespace`). */
export { proxyDisplayName };

/** GETs `/debug/syncz` from the API at `server` with the token in `stateDir`. */
export function syncz(server: string, stateDir: string): Promise<Syncz> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${server}/debug/syncz`, { headers: apiAuthHeaders(stateDir), agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`/debug/syncz: HTTP ${res.statusCode} ${body}`));
        else {
          try {
            resolve(JSON.parse(body) as Syncz);
          } catch (err) {
            reject(err);
          }
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('/debug/syncz: no answer in 5 s')));
    req.on('error', reject);
  });
}

/**
 * Polls `/debug/syncz` (every 100 ms, up to 40 s by default) until `ok` holds; returns that body.
 * `newerThan`: a snapshot version read before a change; the wait first needs a newer one. The config
 * store notifies after its debounce (config-store.ts), and the snapshot's build and the push's
 * scheduling happen in one tick (control-plane.ts `update`), so once the version moved every proxy
 * still to receive the change reads STALE (ads-server.ts `status`) until it ACKs.
 */
export function waitForSync(server: string, stateDir: string, ok: (s: Syncz) => boolean, what: string, options: PollOptions & { readonly newerThan?: string } = {}): Promise<Syncz> {
  const { newerThan, ...poll } = options;
  return eventually(() => syncz(server, stateDir), (s) => (newerThan === undefined || s.version !== newerThan) && ok(s), what, { timeoutMs: 40_000, intervalMs: 100, ...poll });
}

/** Whether `weft apply`'s output (kubectl's lines) says a resource was created or configured, not only `unchanged`. */
export function applyChangedSomething(stdout: string): boolean {
  return /\s(created|configured)\s*$/m.test(stdout);
}
