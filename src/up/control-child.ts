/**
 * Entry of `weft up`'s control-plane child process (forked by control-child-link.ts): one
 * ControlPlane on the state directory `weft up` names, so a restart finds the same CA root and
 * key, bootstrap-token key and applied config; the API token file is rewritten with a new token.
 * Pod addresses and health come from `weft up` (the `pods` table, received before the control
 * plane starts, so the first snapshot after a restart has every ready pod healthy and proxies
 * that reconnect get the endpoints they had). It ignores SIGINT (Ctrl-C in the terminal belongs
 * to `weft up`, which stops it last, after draining pods) and exits when `weft up` goes away.
 */
import type { Workload } from '../registry/types.js';
import type { PodIdentity } from '../registry/build-registry.js';
import { ControlPlane } from '../control/control-plane.js';
import { toWire, type ChildMessage, type ParentMessage } from './control-messages.js';
import type { PodReport } from './control-link.js';
import { isPod } from '../registry/pod-workload.js';

const pods = new Map<string, PodReport>();
let table = '';
let cp: ControlPlane | undefined;
let stopping = false;

function send(m: ChildMessage): void {
  if (process.connected) process.send?.(m);
}

function setPods(list: readonly PodReport[]): boolean {
  const next = JSON.stringify(list);
  if (next === table) return false;
  table = next;
  pods.clear();
  for (const p of list) pods.set(`${p.namespace}/${p.name}`, p);
  return true;
}

// Stable function identities: the registry is reused while they and the resources are the same
// (registry/registry-reuse.ts); health changes rebuild it through refresh().
const podAddress = (pod: PodIdentity): string | undefined => pods.get(`${pod.namespace}/${pod.name}`)?.address;
const isHealthy = (w: Workload): boolean => !isPod(w) || pods.get(`${w.namespace}/${w.name}`)?.healthy === true;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // Bounded: an orphaned child must not linger (weft up's SIGKILL test waits 5 s for every child).
    await Promise.race([cp?.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 3000).unref())]);
  }
  process.exit(code);
}

async function onMessage(m: ParentMessage): Promise<void> {
  switch (m.t) {
    case 'init': {
      setPods(m.pods);
      cp = new ControlPlane({ ...m.options, store: { ...m.options.store, report: (line) => send({ t: 'notice', line }) }, podAddress, isHealthy });
      try {
        const ports = await cp.start();
        const ca = cp.ca;
        const report = () => send({ t: 'resources', resources: cp!.store.resources().map(toWire), diagnostics: cp!.store.diagnostics() });
        cp.store.subscribe(report);
        report();
        send({ t: 'started', ports, ca: ca ? { port: ca.port, rootCertFile: ca.rootCertFile } : undefined, stateWarnings: cp.store.stateWarnings() });
      } catch (err) {
        send({ t: 'startFailed', message: (err as Error).message, errno: (err as NodeJS.ErrnoException).code });
        await stop(1);
      }
      return;
    }
    case 'pods':
      if (setPods(m.pods) || m.refresh) cp?.refresh();
      return;
    case 'syncStatus':
      send({ t: 'reply', id: m.id, ok: true, value: cp?.syncStatus() ?? [] });
      return;
    case 'mintToken': {
      const ca = cp?.ca;
      if (!ca) return send({ t: 'reply', id: m.id, ok: false, message: 'the control plane has no CA' });
      ca.mintToken(m.namespace, m.serviceAccount).then(
        (value) => send({ t: 'reply', id: m.id, ok: true, value }),
        (err: Error) => send({ t: 'reply', id: m.id, ok: false, message: err.message }),
      );
      return;
    }
    case 'stop':
      await stop(0);
  }
}

process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => void stop(0));
// `weft up` is gone (even by SIGKILL): nobody supervises this process any more.
process.on('disconnect', () => void stop(0));
process.on('message', (m: ParentMessage) => void onMessage(m));
send({ t: 'hello' });
