/**
 * Proxies this control plane had and lost: a proxy whose last ADS stream ended is remembered as
 * disconnected (with when, and the versions it had ACKed) until it reconnects, so
 * `weft proxy-status` can show it (istioctl shows only connected proxies; a proxy that lost its
 * control plane keeps serving its last config, which is what an operator needs to see).
 * In memory only: a restarted control plane knows the proxies that reconnected to it, not the
 * ones that did not (it has no way to tell a proxy that is gone for good from one still trying).
 * A sidecar whose pod left the registry is forgotten (a pod stopped on purpose is not "lost").
 */
/** A proxy that was connected and is not now. */
export interface DisconnectedProxy {
  readonly id: string;
  readonly cluster: string;
  /** When its last stream ended (ISO 8601). */
  readonly disconnectedAt: string;
  /** CDS version it had ACKed, when known (the config it keeps serving). */
  readonly ackedVersion?: string;
}

/** At most this many disconnected proxies are remembered (oldest forgotten first). */
const MAX_REMEMBERED = 10_000;

/** Connected/disconnected bookkeeping by node id. */
export class ProxyPresence {
  private readonly lost = new Map<string, DisconnectedProxy>();
  private readonly acks = new Map<string, string>();

  /** A stream of `id` identified itself. */
  connected(id: string): void {
    this.lost.delete(id);
  }

  /** `id` ACKed CDS `version` (the config version it serves). */
  acked(id: string, version: string): void {
    this.acks.set(id, version);
  }

  /** The last stream of `id` ended (`stillConnected`: another stream of it is open). */
  disconnected(id: string, cluster: string, stillConnected: boolean): void {
    if (stillConnected) return;
    const ackedVersion = this.acks.get(id);
    this.acks.delete(id);
    this.lost.delete(id);
    this.lost.set(id, { id, cluster, disconnectedAt: new Date().toISOString(), ...(ackedVersion !== undefined ? { ackedVersion } : {}) });
    if (this.lost.size > MAX_REMEMBERED) this.lost.delete(this.lost.keys().next().value!);
  }

  /** Disconnected proxies, minus those `keep` rejects (e.g. a sidecar whose pod is gone). */
  disconnectedProxies(keep: (id: string) => boolean = () => true): DisconnectedProxy[] {
    for (const id of [...this.lost.keys()]) if (!keep(id)) this.lost.delete(id);
    return [...this.lost.values()];
  }
}
