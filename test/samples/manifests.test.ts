/**
 * The samples' manifests: `weft analyze` finds no issues in each sample directory and in each task
 * file applied on top of it; every Deployment runs a compiled sample that exists, from the
 * manifest's directory (the `weft up` contract); and `weft up samples/bookinfo` would load only the
 * always-on config, not the task variants.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, runWeft } from '../helpers/weft-process.js';
import { ensureSamplesBuilt } from './sample-process.js';

const CLEAN = /✔ No validation issues found when analyzing namespace: default\./;
const TASKS = 'samples/tasks';

interface Doc {
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await yamlFiles(rel)));
    else if (/\.ya?ml$/.test(e.name)) out.push(rel);
  }
  return out.sort();
}

async function docs(file: string): Promise<Doc[]> {
  const text = await readFile(path.join(REPO_ROOT, file), 'utf8');
  return parseAllDocuments(text).map((d) => d.toJS() as Doc).filter((d): d is Doc => d !== null && typeof d === 'object');
}

async function analyzeClean(...paths: string[]): Promise<void> {
  const r = await runWeft(['analyze', ...paths]);
  assert.equal(r.code, 0, `weft analyze ${paths.join(' ')}\n${r.stdout}${r.stderr}`);
  assert.match(r.stderr, CLEAN, `weft analyze ${paths.join(' ')}\n${r.stdout}${r.stderr}`);
  assert.equal(r.stdout.trim(), '');
}

/**
 * Analyzes with exactly the warnings istioctl also prints for these files (exit 0). Istio's own
 * Bookinfo gets IST0140 from istioctl when virtual-service-all-v1.yaml is applied next to the
 * ingress gateway (istio/istio#36160): the gateway's productpage route names no subset.
 */
async function analyzeOnly(expected: readonly string[], ...paths: string[]): Promise<void> {
  const r = await runWeft(['analyze', ...paths]);
  assert.equal(r.code, 0, `weft analyze ${paths.join(' ')}\n${r.stdout}${r.stderr}`);
  assert.deepEqual(r.stdout.trimEnd().split('\n'), expected, `weft analyze ${paths.join(' ')}\n${r.stdout}${r.stderr}`);
}

describe('sample manifests', () => {
  before(() => ensureSamplesBuilt());

  test('weft analyze samples/bookinfo finds no issues', () => analyzeClean('samples/bookinfo'));

  test('the platform file alone and the always-on networking files analyze cleanly', async () => {
    await analyzeClean('samples/bookinfo/platform');
    await analyzeClean('samples/bookinfo/platform', 'samples/bookinfo/networking/bookinfo-gateway.yaml');
    await analyzeClean('samples/bookinfo/platform', 'samples/bookinfo/networking/destination-rule-all.yaml');
  });

  test('each Bookinfo task file analyzes cleanly on top of samples/bookinfo', async () => {
    const files = await yamlFiles(`${TASKS}/bookinfo`);
    assert.ok(files.length >= 12, files.join(' '));
    for (const f of files) {
      if (f.endsWith('destination-rule-all-mtls.yaml')) {
        // Replaces destination-rule-all.yaml (same names), so analyze it in its place.
        await analyzeClean('samples/bookinfo/platform', 'samples/bookinfo/networking/bookinfo-gateway.yaml', f);
      } else if (f.endsWith('virtual-service-all-v1.yaml')) {
        await analyzeOnly([
          'Warning [IST0140] (VirtualService default/bookinfo samples/bookinfo/networking/bookinfo-gateway.yaml:43) Subset in virtual service default/productpage has no effect on ingress gateway default/bookinfo requests',
        ], 'samples/bookinfo', f);
      } else {
        await analyzeClean('samples/bookinfo', f);
      }
    }
  });

  test('the Bookinfo task files are Istio\'s', async () => {
    const names = (await readdir(path.join(REPO_ROOT, TASKS, 'bookinfo'))).sort();
    for (const n of [
      'virtual-service-all-v1.yaml',
      'virtual-service-reviews-test-v2.yaml',
      'virtual-service-reviews-50-v3.yaml',
      'virtual-service-reviews-90-10.yaml',
      'virtual-service-reviews-80-20.yaml',
      'virtual-service-reviews-v3.yaml',
      'virtual-service-reviews-v2-v3.yaml',
      'virtual-service-ratings-test-delay.yaml',
      'virtual-service-ratings-test-abort.yaml',
      'virtual-service-reviews-v2-timeout.yaml',
    ]) {
      assert.ok(names.includes(n), n);
    }
    const [timeout] = await docs(`${TASKS}/bookinfo/virtual-service-reviews-v2-timeout.yaml`);
    assert.equal((timeout!.spec!.http as { timeout: string }[])[0]!.timeout, '0.5s');
    const [delay] = await docs(`${TASKS}/bookinfo/virtual-service-ratings-test-delay.yaml`);
    assert.equal((delay!.spec!.http as { fault: { delay: { fixedDelay: string } } }[])[0]!.fault.delay.fixedDelay, '7s');
  });

  test('weft up samples/bookinfo loads only the always-on config', async () => {
    const kinds: string[] = [];
    for (const f of await yamlFiles('samples/bookinfo')) for (const d of await docs(f)) kinds.push(`${d.kind}/${d.metadata?.name}`);
    const networking = kinds.filter((k) => /^(VirtualService|DestinationRule|Gateway)\//.test(k)).sort();
    assert.deepEqual(networking, [
      'DestinationRule/details',
      'DestinationRule/productpage',
      'DestinationRule/ratings',
      'DestinationRule/reviews',
      'Gateway/bookinfo-gateway',
      'VirtualService/bookinfo',
    ]);
    const deployments = kinds.filter((k) => k.startsWith('Deployment/')).sort();
    assert.deepEqual(deployments, ['details-v1', 'productpage-v1', 'ratings-v1', 'reviews-v1', 'reviews-v2', 'reviews-v3'].map((n) => `Deployment/${n}`));
    for (const sa of ['bookinfo-details', 'bookinfo-ratings', 'bookinfo-reviews', 'bookinfo-productpage']) assert.ok(kinds.includes(`ServiceAccount/${sa}`), sa);
    for (const svc of ['details', 'ratings', 'reviews', 'productpage']) assert.ok(kinds.includes(`Service/${svc}`), svc);
  });

  test('httpbin, sleep and tcp-echo analyze cleanly, alone and with their task files', async () => {
    await analyzeClean('samples/httpbin');
    await analyzeClean('samples/httpbin', `${TASKS}/httpbin/httpbin-gateway.yaml`);
    await analyzeClean('samples/httpbin', `${TASKS}/httpbin/destination-rule-httpbin.yaml`, `${TASKS}/httpbin/httpbin-all-v1.yaml`);
    await analyzeClean('samples/httpbin', `${TASKS}/httpbin/destination-rule-httpbin.yaml`, `${TASKS}/httpbin/httpbin-mirror-v2.yaml`);
    await analyzeClean('samples/httpbin', `${TASKS}/httpbin/destination-rule-circuit-breaker.yaml`);
    await analyzeClean('samples/sleep', 'samples/httpbin');
    await analyzeClean('samples/tcp-echo');
  });

  test('the tcp-echo task files analyze without errors', async () => {
    // Port 31400 is not on Weft's stand-in ingress Service, so istioctl's IST0162 warning is expected.
    const allV1 = await runWeft(['analyze', 'samples/tcp-echo', `${TASKS}/tcp-echo/tcp-echo-all-v1.yaml`]);
    assert.equal(allV1.code, 0, allV1.stdout + allV1.stderr);
    assert.doesNotMatch(allV1.stdout, /^Error/m);
    // tcp-echo-20-v2 replaces the VirtualService of tcp-echo-all-v1: analyze it with the rest of that file.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-tcp-echo-'));
    try {
      const text = await readFile(path.join(REPO_ROOT, TASKS, 'tcp-echo', 'tcp-echo-all-v1.yaml'), 'utf8');
      const kept = text.split(/^---$/m).filter((d) => !/kind: VirtualService/.test(d));
      await writeFile(path.join(dir, 'gateway-and-dr.yaml'), kept.join('---'));
      const r = await runWeft(['analyze', 'samples/tcp-echo', dir, `${TASKS}/tcp-echo/tcp-echo-20-v2.yaml`]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout, /^Error/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('every Deployment runs an existing compiled sample, relative to its manifest\'s directory', async () => {
    let count = 0;
    for (const dir of ['samples/bookinfo', 'samples/httpbin', 'samples/sleep', 'samples/tcp-echo']) {
      for (const f of await yamlFiles(dir)) {
        for (const d of await docs(f)) {
          if (d.kind !== 'Deployment') continue;
          count++;
          const pod = (d.spec!.template as { spec: { containers: { command?: string[]; ports?: { containerPort: number }[] }[] } }).spec;
          const [cmd, script] = pod.containers[0]!.command ?? [];
          assert.equal(cmd, 'node', `${f} ${d.metadata?.name}`);
          const resolved = path.resolve(REPO_ROOT, path.dirname(f), script ?? '');
          assert.ok(resolved.startsWith(path.join(REPO_ROOT, 'dist', 'samples') + path.sep), `${f}: ${script}`);
          assert.ok(existsSync(resolved), `${f} ${d.metadata?.name}: ${resolved} does not exist`);
          if (dir !== 'samples/sleep') {
            assert.ok(d.metadata?.labels?.app && d.metadata.labels.version, `${f} ${d.metadata?.name} has app and version labels`);
            assert.ok((pod.containers[0]!.ports ?? []).length > 0, `${f} ${d.metadata?.name} has a containerPort`);
          }
        }
      }
    }
    assert.equal(count, 11);
  });
});
