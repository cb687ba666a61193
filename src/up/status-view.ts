/**
 * The live status `weft up` shows: the gateway URL and one row per pod (addresses, app state,
 * restarts, sidecar readiness and xDS sync). On a terminal it redraws in place; otherwise it prints
 * a line when something changes, so logs stay readable.
 */
import type { Mesh } from './mesh.js';
import { formatTable } from '../util/text-table.js';
import type { ProxySyncStatus } from '../xds/sync-status.js';

/** Renders the status table as text; `status` undefined while the control plane is down. */
export function renderStatus(mesh: Mesh, header: string, status: readonly ProxySyncStatus[] | undefined): string {
  const sync = new Map((status ?? []).map((s) => [s.id, s]));
  const syncOf = (id: string) => {
    if (!status) return 'CONTROL PLANE DOWN';
    const s = sync.get(id);
    if (!s) return 'NOT CONNECTED';
    const states = ['CDS', 'LDS', 'EDS', 'RDS'].map((t) => s.types[t as 'CDS'].state);
    if (states.every((x) => x === 'SYNCED')) return 'SYNCED';
    const nack = Object.values(s.types).find((t) => t.nackMessage);
    return nack ? `NACK: ${nack.nackMessage!.slice(0, 40)}` : states.includes('STALE') ? 'STALE' : 'SYNCING';
  };
  const rows: string[][] = [['POD', 'NAMESPACE', 'POD IP', 'APP', 'RESTARTS', 'SIDECAR', 'XDS']];
  rows.push([
    'istio-ingressgateway-0', 'istio-system', '127.0.0.1', '-', String(mesh.gateway?.restarts ?? 0),
    mesh.gatewayReady ? 'ready' : mesh.gateway?.state ?? 'pending', syncOf(mesh.gatewayProxyId),
  ]);
  for (const p of mesh.podList()) {
    const app = p.appReady ? 'ready' : p.appState();
    rows.push([
      p.plan.name, p.plan.namespace, p.addresses.podIp, app, String(p.app?.restarts ?? 0),
      p.sidecarReady ? 'ready' : p.sidecar.state, syncOf(p.proxyId),
    ]);
  }
  return `${header}\n\n${formatTable(rows)}`;
}

/** Keeps the status on screen (TTY) or logs changes (non-TTY). Returns a function that stops it. */
export function showStatus(mesh: Mesh, out: NodeJS.WritableStream & { isTTY?: boolean }, header: () => string): () => void {
  if (out.isTTY) {
    let lines = 0;
    const draw = async () => {
      const status = await mesh.controlPlane.syncStatus().catch(() => undefined);
      if (stopped) return;
      const text = renderStatus(mesh, header(), status);
      const clear = lines > 0 ? `\x1b[${lines}A\x1b[J` : '';
      out.write(clear + text);
      lines = text.split('\n').length - 1;
    };
    let stopped = false;
    void draw();
    const timer = setInterval(() => void draw(), 1000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }
  let last = '';
  const onChange = () => {
    const states = mesh.podList().map((p) => `${p.plan.name}:${p.appReady ? 'ready' : p.appState()}/${p.sidecarReady ? 'ready' : p.sidecar.state}`);
    const line = `gateway:${mesh.gatewayReady ? 'ready' : 'starting'} ${states.join(' ')}`;
    if (line !== last) {
      last = line;
      out.write(`[weft] ${line}\n`);
    }
  };
  mesh.on('change', onChange);
  return () => mesh.off('change', onChange);
}
