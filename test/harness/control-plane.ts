/**
 * An in-process control plane for end-to-end tests: `ControlPlane` (src/control) watching a fresh
 * temporary directory that holds the test's Istio YAML, on ephemeral loopback ports, optionally with
 * the mesh CA (istiod's CSR service) and the plaintext debug xDS port. The test changes config the
 * way a user does, by writing files into the watched directory.
 */
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ControlPlane, type ControlPlaneOptions } from '../../src/control/control-plane.js';
import type { MeshConfig } from '../../src/config/mesh-config.js';

/** What a test asks of its control plane. */
export interface TestControlPlaneOptions {
  /** Config files (name → YAML) written before the start. */
  readonly files?: Readonly<Record<string, string>>;
  /** Prefix of the temporary directory's name (e.g. `weft-mtls-`). */
  readonly tmpPrefix?: string;
  /** Run the mesh CA (certificates for sidecars with `identity`). */
  readonly ca?: boolean;
  /** Serve plaintext xDS too (the debug port). */
  readonly insecureXds?: boolean;
  /** The mesh config (default: Istio's defaults); a function gets the config directory (for log paths in it). */
  readonly mesh?: MeshConfig | ((dir: string) => MeshConfig);
  /** The control plane's log lines (default: its own default). */
  readonly log?: (line: string) => void;
}

/** A running control plane. */
export interface TestControlPlane {
  readonly dir: string;
  readonly cp: ControlPlane;
  /** The xDS address proxies connect to: with the CA the authenticated one (istiod's 15012), else the plaintext one. */
  readonly xds: string;
  /** The TLS xDS address (when the control plane serves it). */
  readonly secureXds?: string;
  /** The plaintext debug xDS address, when asked for. */
  readonly insecureXds?: string;
  /** The HTTP API's port. */
  readonly httpPort: number;
  /** The CA's address and root, when it runs. */
  readonly ca?: { readonly address: string; readonly rootCertPem: string; mintToken(namespace: string, serviceAccount: string): Promise<string> };
  /** Writes (or replaces) a config file in the watched directory. */
  apply(file: string, yaml: string): Promise<void>;
  /** Removes a config file (no error when it is absent). */
  remove(file: string): Promise<void>;
  /** Stops the control plane and removes its directory. */
  stop(): Promise<void>;
}

/** Starts a control plane on a fresh directory holding `options.files`. */
export async function startTestControlPlane(options: TestControlPlaneOptions = {}): Promise<TestControlPlane> {
  const dir = await mkdtemp(path.join(os.tmpdir(), options.tmpPrefix ?? 'weft-e2e-'));
  for (const [file, yaml] of Object.entries(options.files ?? {})) await writeFile(path.join(dir, file), yaml);
  const cpOptions: ControlPlaneOptions = {
    store: { watchDir: dir, debounceMs: 20 },
    httpPort: 0,
    ...(options.ca ? { ca: { port: 0 } } : {}),
    ...(options.insecureXds || !options.ca ? { insecureXdsPort: 0 } : {}),
    ...(options.mesh ? { meshConfig: typeof options.mesh === 'function' ? options.mesh(dir) : options.mesh } : {}),
    ...(options.log ? { log: options.log } : {}),
  };
  const cp = new ControlPlane(cpOptions);
  let started: Awaited<ReturnType<ControlPlane['start']>>;
  try {
    started = await cp.start();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const loopback = (port: number | undefined): string | undefined => (port === undefined ? undefined : `127.0.0.1:${port}`);
  const insecureXds = loopback(started.insecureXdsPort);
  const secureXds = options.ca ? loopback(started.xdsPort) : undefined;
  const ca = cp.ca;
  return {
    dir,
    cp,
    xds: (options.ca ? secureXds : insecureXds)!,
    secureXds,
    insecureXds,
    httpPort: started.httpPort,
    ca: ca ? { address: `127.0.0.1:${ca.port}`, rootCertPem: ca.rootCertPem, mintToken: (ns, sa) => ca.mintToken(ns, sa) } : undefined,
    apply: (file, yaml) => writeFile(path.join(dir, file), yaml),
    remove: (file) => unlink(path.join(dir, file)).catch(() => undefined),
    async stop() {
      await cp.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
