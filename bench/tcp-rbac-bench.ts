/**
 * Connection-heavy TCP benchmark of network RBAC (AuthorizationPolicy on TCP): one Weft sidecar in
 * its own process (proxy-child.ts) in front of Istio's tcp-echo server; a client in this process
 * opens short connections (connect, one line, its echo, close) to the sidecar's inbound TCP port,
 * `CONCURRENCY` at a time. Rounds alternate between no policy and a DENY + an ALLOW policy that the
 * connections pass (so every connection evaluates both network RBAC filters); the figure is the
 * sidecar's CPU time per connection (from /proc) in each mode. Run (under the e2e lock):
 *   npm run build && node dist/bench/tcp-rbac-bench.js [connectionsPerRound]
 */
import net from 'node:net';
import { writeFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { createEchoServer } from '../samples/tcp-echo/echo-server.js';
import { cpuSeconds } from './lib/proc-stats.js';
import { ProcessGroup } from './lib/processes.js';
import { removeTempDir, tempDir } from './lib/cleanup.js';
import { startControlPlane, startProxyChild } from './proxy-mesh.js';

const SIDECAR = '127.77.10.1';
const APP = '127.77.10.2';
const PROBE = '127.77.10.99';
/** Client source addresses, used in turn, so 30,000 short connections do not exhaust one address's ephemeral ports. */
const CLIENTS = Array.from({ length: 16 }, (_, i) => `127.77.11.${i + 1}`);
const PORT = 9000;
const CONCURRENCY = 32;

const REGISTRY = `apiVersion: v1
kind: Service
metadata: {name: tcp-echo, namespace: default}
spec: {selector: {app: tcp-echo}, ports: [{name: tcp, port: ${PORT}}]}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: tcp-echo-0, namespace: default}
spec: {address: ${SIDECAR}, serviceAccount: tcp-echo, labels: {app: tcp-echo}, ports: {tcp: ${PORT}}}
`;

/** A DENY that never matches these clients and an ALLOW they pass; the probe address is refused. */
const POLICIES = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-elsewhere, namespace: default}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  action: DENY
  rules:
  - from: [{source: {ipBlocks: ["10.0.0.0/8", "192.168.0.0/16"]}}]
  - from: [{source: {namespaces: [untrusted]}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-loopback, namespace: default}
spec:
  selector: {matchLabels: {app: tcp-echo}}
  action: ALLOW
  rules:
  - from: [{source: {principals: ["cluster.local/ns/default/sa/sleep"]}}]
  - from: [{source: {ipBlocks: ["127.0.0.0/8"], notIpBlocks: ["${PROBE}/32"]}}]
    to: [{operation: {ports: ["${PORT}"]}}]
`;

function oneConnection(localAddress: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: SIDECAR, port: PORT, localAddress }, () => s.write('ping\n'));
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      got += d;
      if (got.endsWith('\n')) s.end();
    });
    s.on('close', () => resolve(got === 'one ping\n'));
    s.on('error', () => undefined);
    s.setTimeout(5000, () => s.destroy());
  });
}

async function load(total: number): Promise<number> {
  let next = 0;
  let ok = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      next++;
      if (await oneConnection(CLIENTS[next % CLIENTS.length]!)) ok++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return ok;
}

async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function main(): Promise<void> {
  const perRound = Number(process.argv[2] ?? 4000);
  const dir = tempDir('tcp-rbac-bench');
  writeFileSync(path.join(dir, 'registry.yaml'), REGISTRY);
  const { cp, xds } = await startControlPlane(dir);
  const echo = createEchoServer('one', () => undefined);
  await new Promise<void>((r) => echo.listen(PORT, APP, () => r()));
  const group = new ProcessGroup({ available: false });
  try {
    const proxy = await startProxyChild(group, { role: 'sidecar', ip: SIDECAR, podName: 'tcp-echo-0', namespace: 'default', labels: { app: 'tcp-echo' }, xds, appAddress: APP, exactPorts: true }, undefined, 'weft tcp-echo sidecar');
    const pid = proxy.child.pid;
    const policyFile = path.join(dir, 'policy.yaml');
    await until(() => oneConnection(CLIENTS[0]!), 'the sidecar to serve tcp-echo');
    await load(500); // warm-up
    const results: { mode: string; cpuMsPerConn: number; connPerSec: number; ok: number }[] = [];
    // ABBA order: a drift across rounds (host state, sockets in TIME_WAIT) weighs on both modes alike.
    for (const mode of ['none', 'rbac', 'rbac', 'none', 'none', 'rbac', 'rbac', 'none']) {
      if (mode === 'rbac') {
        writeFileSync(policyFile, POLICIES);
        await until(async () => !(await oneConnection(PROBE)), 'the policies to reach the sidecar');
      } else {
        try {
          unlinkSync(policyFile);
        } catch {
          // first round: no policy yet
        }
        await until(() => oneConnection(PROBE), 'the policies to be removed');
      }
      const cpu0 = cpuSeconds(pid);
      const t0 = process.hrtime.bigint();
      const ok = await load(perRound);
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = cpuSeconds(pid) - cpu0;
      results.push({ mode, cpuMsPerConn: (cpu * 1000) / perRound, connPerSec: perRound / secs, ok });
      process.stderr.write(`${mode}: ${ok}/${perRound} ok, ${(perRound / secs).toFixed(0)} conn/s, sidecar CPU ${((cpu * 1000) / perRound).toFixed(3)} ms/conn\n`);
    }
    const avg = (m: string, k: 'cpuMsPerConn' | 'connPerSec') => {
      const r = results.filter((x) => x.mode === m);
      return r.reduce((n, x) => n + x[k], 0) / r.length;
    };
    const none = avg('none', 'cpuMsPerConn');
    const rbac = avg('rbac', 'cpuMsPerConn');
    process.stdout.write(`${JSON.stringify({ perRound, concurrency: CONCURRENCY, results, cpuMsPerConn: { none, rbac }, cpuDeltaPercent: ((rbac - none) / none) * 100, connPerSec: { none: avg('none', 'connPerSec'), rbac: avg('rbac', 'connPerSec') } }, null, 2)}\n`);
  } finally {
    await group.stopAll();
    echo.close();
    await cp.stop();
    removeTempDir(dir);
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
