/**
 * Where `weft up` places each pod: its own loopback address for the sidecar (the "pod IP") and a
 * second one for the app, so the sidecar can own the pod IP's service ports as interception would.
 * Behind one interface so that hosts where only 127.0.0.1 answers can use port ranges instead.
 */
import net from 'node:net';

/** Addresses of one pod. */
export interface PodAddresses {
  /** The pod IP: the sidecar binds its listeners and admin here, and endpoints point here. */
  readonly podIp: string;
  /** Where the app listens (`HOST`). */
  readonly appHost: string;
}

/** Hands out stable addresses per pod for the life of a run. */
export interface AddressAllocator {
  /** Addresses of the pod `namespace/name`, allocated on first call and stable afterwards. */
  addressesFor(namespace: string, name: string): PodAddresses;
  /** The address the ingress gateway's admin and xDS identity use. */
  readonly gatewayIp: string;
}

/**
 * Linux routes all of 127.0.0.0/8 to the loopback device: pod n gets 127.P.a.b and its app
 * 127.(P+1).a.b (n = a·256 + b, from 2), the gateway 127.P.0.1, where P is the pod network
 * octet (default 10; several meshes on one machine use different ones).
 */
export class LoopbackAllocator implements AddressAllocator {
  readonly gatewayIp: string;
  private readonly byPod = new Map<string, PodAddresses>();
  private next = 2;

  constructor(private readonly net = 10) {
    if (!Number.isInteger(net) || net < 1 || net > 253) throw new Error(`pod network octet must be 1-253, got ${net}`);
    this.gatewayIp = `127.${net}.0.1`;
  }

  addressesFor(namespace: string, name: string): PodAddresses {
    const key = `${namespace}/${name}`;
    let a = this.byPod.get(key);
    if (!a) {
      const n = this.next++;
      if (n > 65_000) throw new Error('address space for pods exhausted');
      const tail = `${(n >> 8) & 255}.${n & 255}`;
      a = { podIp: `127.${this.net}.${tail}`, appHost: `127.${this.net + 1}.${tail}` };
      this.byPod.set(key, a);
    }
    return a;
  }
}

/** True when this host answers on loopback addresses other than 127.0.0.1 (Linux does; macOS without aliases does not). */
export async function loopbackAliasesWork(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '127.200.0.254', () => server.close(() => resolve(true)));
  });
}
