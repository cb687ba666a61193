/**
 * One pod under `weft up`: its sidecar process first, then — once the sidecar answers
 * `/healthz/ready` (Istio's holdApplicationUntilProxyStarts) — its app, both supervised and
 * restarted with back-off; the pod counts as ready (its endpoints healthy) while its
 * readinessProbe passes (readiness-probe.ts), or without one while the app accepts connections on
 * its port. A pod leaving a rollout or scale-down is stopped by `terminate()` (preStop, sidecar
 * drain, SIGTERM, SIGKILL after terminationGracePeriodSeconds). The app runs as the mesh's app user (src/up/app-user.ts) with a private
 * HOME/TMPDIR, and its HTTP_PROXY carries the pod's outbound credential (src/proxy/listener/outbound-auth.ts),
 * which the sidecar alone also knows (from its environment, readable only by the user running
 * `weft up`). Logs are 0600 in the 0700 state directory.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Resource } from '../config/resource.js';
import { proxyId } from '../model/proxy-node.js';
import type { PodAddresses } from './address-allocator.js';
import { podArgv, podEnvironment, type PodPlan } from './pod-plan.js';
import { httpOk, tcpOpen, waitUntilReady } from './readiness.js';
import { Supervisor, type ProcessState } from './supervisor.js';
import { WEFT_BIN } from './weft-bin.js';
import { PROXY_NODE_FLAGS } from '../proxy/node-flags.js';
import { OUTBOUND_CREDENTIAL_ENV, outboundProxyUrl } from '../proxy/listener/outbound-auth.js';
import { appCannotRun, switchUserArgs, type AppHomes, type AppUser } from './app-user.js';
import { withoutApiCredentials } from '../control/api-auth.js';
import { runReadinessProbe, runnableProbe } from './readiness-probe.js';
import { runHandler, type HandlerContext } from './container-handler.js';

/** Settings shared by every pod of a mesh. */
export interface PodRunnerContext {
  /** `host:port` of the control plane's ADS endpoint. */
  readonly xds: string;
  /** Where logs go (`<dir>/<pod>.log`, `<dir>/<pod>.sidecar.log`). */
  readonly logDir: string;
  /** Current resources (Secrets/ConfigMaps for env). */
  readonly resources: () => readonly Resource[];
  /** Environment giving a proxy its workload certificate (CA address, root, fresh token), per start. */
  readonly proxyIdentityEnv?: (namespace: string, serviceAccount: string) => Promise<NodeJS.ProcessEnv>;
  /** Called with each output line when logs are shown in the terminal. */
  readonly onLine?: (pod: string, source: 'app' | 'sidecar', line: string) => void;
  /** The user apps run as (default: this user). */
  readonly appUser?: AppUser;
  /** Private HOME/TMPDIR per pod when apps run as another user. */
  readonly appHomes?: AppHomes;
  /** Problems the user must see even without --logs (an app that cannot run as the app user). */
  readonly warn?: (line: string) => void;
}

/** Events of a pod. */
export interface PodEvents {
  /** The app became ready or stopped being ready. */
  ready: [ready: boolean];
  change: [];
}

/** A running pod. */
export class PodRunner extends EventEmitter<PodEvents> {
  readonly sidecar: Supervisor;
  app?: Supervisor;
  appReady = false;
  sidecarReady = false;
  readonly proxyId: string;
  /** Why the app was not started (it could not run as the app user), when it was not. */
  appError?: string;
  /** The secret the sidecar's outbound listener requires from this pod's app. */
  private readonly outboundCredential = randomBytes(24).toString('base64url');
  private readonly abort = new AbortController();
  private readonly logs: WriteStream[] = [];
  private stopped = false;
  /** How exec handlers (probes, preStop) run: the app's environment, directory and user. */
  private handlerContext?: HandlerContext;

  constructor(readonly plan: PodPlan, readonly addresses: PodAddresses, private readonly ctx: PodRunnerContext) {
    super();
    this.proxyId = proxyId('sidecar', addresses.podIp, plan.name, plan.namespace);
    mkdirSync(ctx.logDir, { recursive: true, mode: 0o700 });
    const labels = Object.entries(plan.labels).map(([k, v]) => `${k}=${v}`).join(',');
    this.sidecar = new Supervisor({
      spec: {
        command: process.execPath,
        args: [
          ...PROXY_NODE_FLAGS, WEFT_BIN, 'proxy', '--role', 'sidecar', '--ip', addresses.podIp, '--pod', plan.name, '--namespace', plan.namespace,
          '--labels', labels, '--service-account', plan.serviceAccount, '--app-address', addresses.appHost,
          '--workload', plan.deployment, '--xds', ctx.xds, '--drain', String(plan.drainMs),
        ],
        env: { ...withoutApiCredentials(process.env), WEFT_DEBUG: process.env.WEFT_DEBUG, [OUTBOUND_CREDENTIAL_ENV]: this.outboundCredential },
        cwd: plan.cwd,
      },
      prepare: ctx.proxyIdentityEnv ? () => ctx.proxyIdentityEnv!(plan.namespace, plan.serviceAccount) : undefined,
    });
    this.attachLog(this.sidecar, 'sidecar', `${plan.name}.sidecar.log`);
    this.sidecar.on('state', (s) => this.onSidecarState(s));
  }

  /** Starts the sidecar; the app follows once the sidecar is ready. */
  start(): void {
    this.sidecar.start();
    void this.afterSidecarReady();
  }

  /** Stops the app, then the sidecar (which drains). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.app?.stop(5000);
    this.setAppReady(false);
    await this.sidecar.stop(5000);
    for (const l of this.logs) l.end();
  }

  /**
   * Stops a pod that has already left the endpoints, in Kubernetes' and Istio's order: the
   * `preStop` hook runs first, the sidecar then drains (stops accepting, finishes requests in
   * flight, at most `plan.drainMs`), then the app gets SIGTERM and SIGKILL when
   * `terminationGracePeriodSeconds` (counted from the start, preStop included, at least 2 s after
   * SIGTERM as the kubelet allows) has passed.
   */
  async terminate(): Promise<void> {
    const graceDeadline = Date.now() + this.plan.terminationGraceSeconds * 1000;
    this.stopped = true;
    this.abort.abort();
    if (this.plan.preStop && this.app?.state === 'running' && this.handlerContext) {
      const ok = await runHandler(this.plan.preStop, this.handlerContext, Math.max(0, graceDeadline - Date.now()));
      if (!ok) this.ctx.onLine?.(this.plan.name, 'app', '[weft] preStop hook failed');
    }
    this.sidecarReady = false;
    await this.sidecar.stop(this.plan.drainMs + 3000);
    await this.app?.stop(Math.max(2000, graceDeadline - Date.now()));
    this.setAppReady(false);
    for (const l of this.logs) l.end();
  }

  /** The app's state, or `waiting` while its sidecar is not ready yet. */
  appState(): ProcessState | 'waiting' {
    if (this.appError !== undefined) return 'failed';
    return this.app?.state ?? 'waiting';
  }

  private async afterSidecarReady(): Promise<void> {
    const ok = await waitUntilReady(() => httpOk(this.addresses.podIp, 15021, '/healthz/ready'), {
      timeoutMs: 120_000,
      intervalMs: 50,
      signal: this.abort.signal,
    });
    if (!ok || this.stopped) return;
    this.sidecarReady = true;
    this.emit('change');
    this.startApp();
  }

  private startApp(): void {
    if (this.plan.argv.length === 0) return; // nothing to run (a container without a command)
    const outboundProxy = outboundProxyUrl(this.addresses.podIp, 15001, this.outboundCredential);
    const env = podEnvironment(this.plan, { podIp: this.addresses.podIp, appHost: this.addresses.appHost, outboundProxy }, this.ctx.resources());
    const [command, ...args] = podArgv(this.plan, env);
    let user = this.ctx.appUser;
    const why = user?.switched ? appCannotRun(user, this.plan.cwd, command!, env.PATH) : undefined;
    if (user?.switched && why !== undefined) {
      const fix = `make the app's directory and command readable by ${user.name} (e.g. chmod o+rx on the directory named), move the app where ${user.name} can read it, or choose the user with --app-user`;
      if (!user.byDefault) {
        this.appError = `${why}; ${fix}`;
        this.ctx.warn?.(`weft up: ERROR: pod ${this.plan.namespace}/${this.plan.name} not started: ${this.appError}`);
        this.emit('change');
        return;
      }
      // Default user only: run as this user (root) rather than not at all, and say so loudly.
      this.ctx.warn?.(`weft up: WARNING: pod ${this.plan.namespace}/${this.plan.name} runs as ${os.userInfo().username}, not ${user.name}: ${why}. Such an app can read the CA key and every Secret; to fix, ${fix}.`);
      user = undefined;
    }
    if (user?.switched && this.ctx.appHomes) {
      let home: string;
      try {
        home = this.ctx.appHomes.dirFor(this.plan.namespace, this.plan.name);
      } catch (err) {
        this.appError = `cannot create the private HOME of ${user.name}: ${(err as Error).message}`;
        this.ctx.warn?.(`weft up: ERROR: pod ${this.plan.namespace}/${this.plan.name} not started: ${this.appError}`);
        this.emit('change');
        return;
      }
      Object.assign(env, { HOME: home, TMPDIR: home, USER: user.name, LOGNAME: user.name });
    }
    const namedPorts: Record<string, number> = {};
    for (const p of this.plan.namedPorts ?? []) namedPorts[p.name] = p.port;
    this.handlerContext = { host: this.addresses.appHost, namedPorts, cwd: this.plan.cwd, env, switchUser: switchUserArgs(user) };
    this.app = new Supervisor({ spec: { command: command!, args, env, cwd: this.plan.cwd, switchUser: switchUserArgs(user) } });
    this.attachLog(this.app, 'app', `${this.plan.name}.log`);
    this.app.on('state', (s) => {
      if (s === 'running') void this.watchAppReady();
      else if (s !== 'starting') this.setAppReady(false);
      this.emit('change');
    });
    this.app.start();
  }

  private async watchAppReady(): Promise<void> {
    const port = this.plan.ports[0];
    const app = this.app;
    if (runnableProbe(this.plan.readinessProbe) && this.handlerContext && app) {
      // The readinessProbe decides, for as long as this run of the app lasts.
      const run = new AbortController();
      const end = () => run.abort();
      this.abort.signal.addEventListener('abort', end, { once: true });
      app.once('exit', end);
      await runReadinessProbe(this.plan.readinessProbe, this.handlerContext, (ready) => {
        if (app.state === 'running' && !this.stopped) this.setAppReady(ready);
      }, run.signal);
      this.abort.signal.removeEventListener('abort', end);
      return;
    }
    if (port === undefined) {
      this.setAppReady(true);
      return;
    }
    const ok = await waitUntilReady(() => tcpOpen(this.addresses.appHost, port), { timeoutMs: 60_000, intervalMs: 50, signal: this.abort.signal });
    if (ok && app?.state === 'running' && !this.stopped) this.setAppReady(true);
  }

  private setAppReady(ready: boolean): void {
    if (this.appReady === ready) return;
    this.appReady = ready;
    this.emit('ready', ready);
    this.emit('change');
  }

  private onSidecarState(s: ProcessState): void {
    if (s !== 'running' && s !== 'starting') {
      this.sidecarReady = false;
      // The app stays up while its sidecar restarts; traffic resumes once the sidecar is back.
      if (s === 'backoff' && !this.stopped) void this.afterSidecarRestart();
    }
    this.emit('change');
  }

  private async afterSidecarRestart(): Promise<void> {
    const ok = await waitUntilReady(() => httpOk(this.addresses.podIp, 15021, '/healthz/ready'), { timeoutMs: 300_000, intervalMs: 100, signal: this.abort.signal });
    if (ok) {
      this.sidecarReady = true;
      this.emit('change');
    }
  }

  private attachLog(sup: Supervisor, source: 'app' | 'sidecar', file: string): void {
    const out = createWriteStream(path.join(this.ctx.logDir, file), { flags: 'a', mode: 0o600 });
    out.on('error', () => undefined);
    this.logs.push(out);
    sup.on('line', (line) => {
      out.write(`${line}\n`);
      this.ctx.onLine?.(this.plan.name, source, line);
    });
    sup.on('exit', (code, signal) => {
      const what = `${source} exited (${signal ?? `code ${code}`})`;
      out.write(`[weft] ${what}\n`);
      if (!this.stopped) this.ctx.onLine?.(this.plan.name, source, `[weft] ${what}; restarting with back-off`);
    });
  }
}
