/**
 * The one table of the loopback addresses and fixed ports each end-to-end test file owns.
 *
 * `npm test` runs two test files at a time (`--test-concurrency=2`), so two files that bind the same
 * address and port, or start proxies on the same pod network, fail each other at random. Every e2e
 * file that binds a fixed port, uses a loopback address other than 127.0.0.1, or runs `weft up
 * --pod-net N` claims them here; `test/harness/ports.test.ts` fails when two claims overlap, and when a
 * file under `test/` writes a fixed port (18000–19999), a 127.x.y.z address or a `--pod-net` that its
 * claim does not cover. Ports are claimed on every loopback address at once (a port is never reused
 * by another file, even on another address); Istio's well-known proxy ports (15000, 15001, 15006,
 * 15010, 15012, 15014, 15090) on a file's own pod addresses need no claim.
 *
 * A new e2e file: pick a free port block (a multiple of 10) and a free /24 or pod network, add its row,
 * and read them with `claimOf(import.meta.url)`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** An inclusive range of TCP ports. */
export type PortRange = readonly [first: number, last: number];

/** What one test file owns. */
export interface LoopbackClaim {
  /** Fixed ports, on any loopback address. */
  readonly ports?: readonly PortRange[];
  /** Loopback addresses: `127.a.b.c/len`, `127.a.b.c-127.a.b.d` or one address. */
  readonly addresses?: readonly string[];
  /** `weft up --pod-net N`: the pods get addresses in 127.N.0.0/16 (src/up/address-allocator.ts). */
  readonly podNet?: number;
}

/** The table, keyed by the file's path under `test/` (as a `.ts` source path). */
export const LOOPBACK_CLAIMS: Readonly<Record<string, LoopbackClaim>> = {
  'control/control-restart.test.ts': { ports: [[18210, 18280]], addresses: ['127.50.0.0/16'] },
  'fidelity/connection-policy.test.ts': { ports: [[19260, 19264]], addresses: ['127.208.0.0/16'] },
  'fidelity/cors.test.ts': { ports: [[19100, 19102]], podNet: 200 },
  'fidelity/destination-subnets.test.ts': { ports: [[19420, 19420]], addresses: ['127.0.216.13', '127.0.216.41-127.0.216.43', '127.0.216.64-127.0.216.100'] },
  'fidelity/egress-proxy.test.ts': { ports: [[19710, 19711]], addresses: ['127.0.232.0/24'] },
  'fidelity/gateway-semantics.test.ts': { ports: [[19330, 19331]], addresses: ['127.0.212.100-127.0.212.130'] },
  'fidelity/gateway-tls.test.ts': { ports: [[19490, 19494]], podNet: 220 },
  'fidelity/h2-keepalive.test.ts': { ports: [[19270, 19271]], addresses: ['127.209.0.0/16'] },
  'fidelity/inbound-protocol-detection.test.ts': { ports: [[19300, 19301]], addresses: ['127.202.0.0/24'] },
  'fidelity/load-around.test.ts': { ports: [[19550, 19559]], podNet: 224 },
  'fidelity/locality.test.ts': { ports: [[19180, 19183]], podNet: 204 },
  'fidelity/panic-threshold.test.ts': { ports: [[19316, 19316]], addresses: ['127.202.1.0/24'] },
  'fidelity/protocol-detection.test.ts': { ports: [[19450, 19450]], addresses: ['127.0.216.10', '127.0.216.20'] },
  'fidelity/retry-remote-localities.test.ts': { ports: [[19470, 19470]], addresses: ['127.0.203.31', '127.0.203.61-127.0.203.62'] },
  'fidelity/route-semantics.test.ts': { ports: [[19325, 19325], [19399, 19399]], addresses: ['127.0.212.0-127.0.212.16'] },
  'fidelity/route-stats.test.ts': { ports: [[19115, 19115]], addresses: ['127.211.0.0/16'] },
  'fidelity/sidecar-egress-bind.test.ts': { ports: [[19410, 19411]], addresses: ['127.0.203.11-127.0.203.20', '127.0.203.51-127.0.203.53'] },
  'fidelity/sidecar-egress-protocol.test.ts': { ports: [[19430, 19430]], addresses: ['127.0.216.14-127.0.216.15', '127.0.216.51'] },
  'fidelity/sidecar-ingress-uds.test.ts': { ports: [[19320, 19321]], addresses: ['127.202.2.0/24'] },
  'fidelity/sidecar-ingress.test.ts': { ports: [[19480, 19484]], addresses: ['127.222.0.0/16', '127.223.0.0/16'] },
  'fidelity/slow-start.test.ts': { ports: [[19250, 19250]], addresses: ['127.210.0.0/16'] },
  'fidelity/tls-sni-chains.test.ts': { ports: [[19460, 19460]], addresses: ['127.0.216.12', '127.0.216.31-127.0.216.32'] },
  'fidelity/trust-domains.test.ts': { ports: [[19332, 19332]], addresses: ['127.0.212.140-127.0.212.143'] },
  'fidelity/zone-aware.test.ts': { ports: [[19440, 19440]], addresses: ['127.0.203.71-127.0.203.84'] },
  // Addresses as data only (proxy URLs parsed, never bound), claimed so no pod network takes them.
  'load/target-request.test.ts': { addresses: ['127.10.0.2'] },
  'protocols/h2.test.ts': { addresses: ['127.0.9.1-127.0.9.13'] },
  'protocols/tcp-echo-task.test.ts': { ports: [[18910, 18980]], podNet: 120 },
  'protocols/tcp.test.ts': { addresses: ['127.0.9.40-127.0.9.60'] },
  'proxy/h1-upstream.test.ts': { addresses: ['127.0.5.0/24'] },
  'proxy/nack-filter-config.test.ts': { ports: [[19620, 19629]] },
  'reliability/apply-kill9.test.ts': { ports: [[19200, 19209]] },
  'reliability/apply-limits.test.ts': { ports: [[19210, 19219]] },
  'reliability/config-input.test.ts': { ports: [[19130, 19139]], podNet: 20 },
  'reliability/control-plane-restart.test.ts': { ports: [[19600, 19614]] },
  'reliability/pipelined-parse-error.test.ts': { addresses: ['127.77.95.0/24'] },
  'reliability/rollout.test.ts': { ports: [[19400, 19409]], podNet: 28 },
  'reliability/subset-rename.test.ts': { ports: [[19500, 19503]], podNet: 32 },
  'resilience/circuit-breaker.test.ts': { addresses: ['127.0.3.0/24'] },
  'resilience/faults-mirror.test.ts': { ports: [[19230, 19230]], addresses: ['127.0.2.0/24'] },
  'resilience/outlier-failures.test.ts': { addresses: ['127.0.4.0/24'] },
  'resilience/retries.test.ts': { addresses: ['127.0.1.0/24'] },
  'samples/bookinfo-tasks.test.ts': { ports: [[18410, 18480]], podNet: 70 },
  'samples/httpbin-tasks.test.ts': { ports: [[18510, 18580]], podNet: 80 },
  // Addresses as data only (proxy URLs parsed, never bound).
  'samples/mesh-client.test.ts': { addresses: ['127.10.0.5-127.10.0.6'] },
  'security/authz/bookinfo-authz.test.ts': { addresses: ['127.77.1.0/24', '127.77.2.0/24'] },
  'security/authz/codec.test.ts': { addresses: ['127.77.6.0/24'] },
  'security/authz/ext-authz.test.ts': { addresses: ['127.77.4.0/24'] },
  'security/authz/jwt.test.ts': { addresses: ['127.77.3.0/24'] },
  'security/authz/path-bypass.test.ts': { addresses: ['127.77.5.0/24'] },
  'security/authz/tcp-authz.test.ts': { addresses: ['127.77.7.0/24', '127.77.8.0/24', '127.77.9.0/24'] },
  'security/edge-headers.test.ts': { addresses: ['127.88.0.0/16'] },
  // The Gateway TLS fixture's mesh, shared by the files of test/security/gateway-tls/ (which run one after another in one file each).
  'security/gateway-tls/fixture.ts': { ports: [[18610, 18680]], podNet: 60 },
  'security/isolation.test.ts': { ports: [[19310, 19314], [19343, 19380]], podNet: 150 },
  'security/limits.test.ts': { addresses: ['127.77.40.0/24'] },
  'security/xds-auth.test.ts': { addresses: ['127.0.91.0/24'] },
  'telemetry/access-log-e2e.test.ts': { addresses: ['127.0.14.0/24'] },
  'telemetry/metric-overrides.test.ts': { ports: [[19120, 19121]], addresses: ['127.0.200.0/24'] },
  'telemetry/tracing-spans-e2e.test.ts': { ports: [[19220, 19220]] },
  'up/up-outlier.test.ts': { ports: [[18710, 18780]], podNet: 100 },
  'up/up-split.test.ts': { ports: [[18110, 18180]], podNet: 40 },
};

/** An address as a 32-bit number. */
export function ipv4ToNumber(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${address}`);
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

/** The inclusive numeric range an `addresses` entry (CIDR, `a-b` or one address) covers. */
export function addressRange(entry: string): readonly [number, number] {
  const dash = entry.indexOf('-');
  if (dash !== -1) return [ipv4ToNumber(entry.slice(0, dash)), ipv4ToNumber(entry.slice(dash + 1))];
  const slash = entry.indexOf('/');
  if (slash === -1) {
    const n = ipv4ToNumber(entry);
    return [n, n];
  }
  const len = Number(entry.slice(slash + 1));
  const size = 2 ** (32 - len);
  const base = ipv4ToNumber(entry.slice(0, slash));
  if (base % size !== 0) throw new Error(`${entry}: address is not the start of its /${len}`);
  return [base, base + size - 1];
}

/** Every address range a claim covers (its `addresses` and its pod network). */
export function addressRangesOf(claim: LoopbackClaim): (readonly [number, number])[] {
  const ranges = (claim.addresses ?? []).map(addressRange);
  if (claim.podNet !== undefined) ranges.push(addressRange(`127.${claim.podNet}.0.0/16`));
  return ranges;
}

/** The table's key of a test module, from its `import.meta.url` (compiled under build/test/ or run from test/). */
export function claimKey(moduleUrl: string): string {
  const file = fileURLToPath(moduleUrl).split(path.sep).join('/');
  const at = file.lastIndexOf('/test/');
  if (at === -1) throw new Error(`${file} is not under test/`);
  return file.slice(at + '/test/'.length).replace(/\.js$/, '.ts');
}

/** The claim of the calling test file (`claimOf(import.meta.url)`); throws when the file has none. */
export function claimOf(moduleUrl: string): LoopbackClaim {
  const key = claimKey(moduleUrl);
  const claim = LOOPBACK_CLAIMS[key];
  if (!claim) throw new Error(`test/${key} has no row in test/harness/ports.ts`);
  return claim;
}

/** The `index`-th port of the calling file's first port range (bounded by the range). */
export function portOf(moduleUrl: string, index = 0): number {
  const range = claimOf(moduleUrl).ports?.[0];
  if (!range) throw new Error(`test/${claimKey(moduleUrl)} claims no ports in test/harness/ports.ts`);
  const port = range[0] + index;
  if (port > range[1]) throw new Error(`test/${claimKey(moduleUrl)}: port index ${index} is outside its claim ${range[0]}-${range[1]}`);
  return port;
}

/** The calling file's `weft up --pod-net` octet. */
export function podNetOf(moduleUrl: string): number {
  const net = claimOf(moduleUrl).podNet;
  if (net === undefined) throw new Error(`test/${claimKey(moduleUrl)} claims no pod network in test/harness/ports.ts`);
  return net;
}
