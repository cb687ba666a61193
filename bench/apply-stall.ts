/**
 * What a large `weft apply` costs the data plane (issue 11, "a large apply does not stall proxies"):
 * a real `weft control` and gateway proxy, 200 rps of steady load through the gateway, and a probe
 * that times one request every 10 ms; then one apply of N VirtualServices bound to the gateway (the
 * worst case: every one of them lands in the gateway's route table). Prints the probe's latency
 * before, during and after the apply, the load's failures, the apply's answer time and when the
 * last route was served.
 *
 *     npm run build && node dist/bench/apply-stall.js [N=5000]
 *
 * Ports 19220–19229 and 127.24.0.0/16 (issue 11's slice of the shared machine).
 */
import http from 'node:http';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startWeft, apiAuthHeaders, type WeftProcess } from './lib/weft-process.js';
import { startSteadyLoad } from './lib/steady-load.js';

const N = Number(process.argv[2] ?? 5000);
const GW_PORT = 19280;
const XDS_PORT = 19221;
const API_PORT = 19222;
const UPSTREAM_IP = '127.24.0.2';

const BASE = `apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 9080}]
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: echo-1}
spec: {address: ${UPSTREAM_IP}, labels: {app: echo}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${GW_PORT}, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo}
spec:
  hosts: ["*"]
  gateways: [istio-system/gw]
  http:
  - route:
    - destination: {host: echo}
`;

const vs = (k: number) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs-${k}}
spec:
  hosts: [vs-${k}.example.com]
  gateways: [istio-system/gw]
  http:
  - match: [{uri: {prefix: /v${k}}}]
    headers: {response: {set: {x-vs: "${k}"}}}
    route:
    - destination: {host: echo}
`;

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** GET through the gateway; the status, or the status plus `:x-vs` when the VirtualService vs-k answered. */
function get(host: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: GW_PORT, path: `/v${host.split('.')[0]!.slice(3)}`, headers: { host }, agent, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers['x-vs'] ? `${res.statusCode}:${res.headers['x-vs']}` : (res.statusCode ?? 0)));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function main(): Promise<void> {
  const procs: WeftProcess[] = [];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-apply-stall-'));
  const upstream = http.createServer((_req, res) => res.end('ok\n'));
  await new Promise<void>((r) => upstream.listen(9080, UPSTREAM_IP, () => r()));
  try {
    await mkdir(path.join(dir, 'config'));
    await writeFile(path.join(dir, 'config', 'mesh.yaml'), BASE);
    const state = path.join(dir, 'state');
    const control = startWeft(['control', '--config', path.join(dir, 'config'), '--state', state, '--xds-port', '-1', '--insecure-xds-port', String(XDS_PORT), '--http-port', String(API_PORT)]);
    procs.push(control);
    await control.waitFor(/API on/, 30_000);
    const gateway = startWeft(['proxy', '--role', 'gateway', '--ip', '127.24.0.1', '--gateway-host', '127.0.0.1', '--pod', 'gw-0', '--namespace', 'istio-system', '--labels', 'istio=ingressgateway', '--xds', `127.0.0.1:${XDS_PORT}`]);
    procs.push(gateway);
    for (let i = 0; (await get('anything.example.com')) !== 200; i++) {
      if (i > 300) throw new Error(`gateway never served:\n${gateway.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const load = startSteadyLoad(`http://127.0.0.1:${GW_PORT}/`, { qps: 200, seconds: 20 });
    const loadResult = load.done.catch((e: Error) => e);
    const samples: { t: number; ms: number; status: number | string }[] = [];
    let probing = true;
    const t0 = performance.now();
    const probe = (async () => {
      while (probing) {
        const s = performance.now();
        const status = await get('probe.example.com');
        samples.push({ t: s - t0, ms: performance.now() - s, status });
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await new Promise((r) => setTimeout(r, 4000));
    const body = JSON.stringify({ files: [{ file: '-', text: Array.from({ length: N }, (_, k) => vs(k)).join('---\n') }] });
    const applyStart = performance.now() - t0;
    const status = await new Promise<number>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: API_PORT, path: '/api/v1/apply', method: 'POST', headers: { ...apiAuthHeaders(state), 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.end(body);
    });
    const answered = performance.now() - t0;
    process.stderr.write(`apply answered HTTP ${status} after ${((answered - applyStart) / 1000).toFixed(2)} s\n`);
    const last = `vs-${N - 1}.example.com`;
    while ((await get(last)) !== `200:${N - 1}`) await new Promise((r) => setTimeout(r, 20));
    const served = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 4000));
    probing = false;
    await probe;
    const loaded = await loadResult;
    const before = samples.filter((s) => s.t < applyStart).map((s) => s.ms);
    const during = samples.filter((s) => s.t >= applyStart && s.t <= served + 1000).map((s) => s.ms);
    const afterMs = samples.filter((s) => s.t > served + 1000).map((s) => s.ms);
    const failed = samples.filter((s) => s.status !== 200).length;
    const fmt = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(1)} ms, p99 ${quantile(xs, 0.99).toFixed(1)} ms, max ${Math.max(0, ...xs).toFixed(1)} ms (${xs.length} probes)`;
    process.stdout.write(
      [
        `apply of ${N} gateway VirtualServices (${(body.length / 2 ** 20).toFixed(1)} MiB): HTTP ${status}, answered in ${((answered - applyStart) / 1000).toFixed(2)} s, last route served after ${((served - applyStart) / 1000).toFixed(2)} s`,
        `gateway probe before: ${fmt(before)}`,
        `gateway probe during: ${fmt(during)}`,
        `gateway probe after:  ${fmt(afterMs)}`,
        `probe failures: ${failed}; probes over 100 ms during: ${during.filter((x) => x > 100).length}, over 500 ms: ${during.filter((x) => x > 500).length}`,
        loaded instanceof Error ? `steady load: ${loaded.message.split('\n')[0]}` : `steady load 200 rps for 20 s: ${loaded.calls} calls, ${loaded.failed} failed ${JSON.stringify(loaded.codes)}`,
      ].join('\n') + '\n',
    );
  } finally {
    for (const p of procs) await p.stop();
    agent.destroy();
    upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
