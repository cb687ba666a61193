/**
 * Kubernetes' container handlers as `weft up` runs them: the actions of probes
 * (`ProbeHandler`: exec, httpGet, tcpSocket) and of lifecycle hooks (`LifecycleHandler`: exec,
 * httpGet, tcpSocket, sleep). Semantics as the kubelet's (pkg/probe/http, pkg/probe/tcp,
 * pkg/probe/exec): httpGet succeeds on a status 200–399 (redirects are not followed to another
 * host), tcpSocket when a connection opens, exec when the command exits 0; each bounded by a
 * timeout. The default host is the pod's — here the address the app listens on.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { launch, signalGroup } from './process-launcher.js';

/** One handler, as written in the pod template. */
export interface ContainerHandler {
  readonly exec?: { readonly command?: readonly string[] };
  readonly httpGet?: {
    readonly path?: string;
    readonly port: number | string;
    readonly host?: string;
    readonly scheme?: 'HTTP' | 'HTTPS';
    readonly httpHeaders?: readonly { readonly name: string; readonly value: string }[];
  };
  readonly tcpSocket?: { readonly port: number | string; readonly host?: string };
  readonly sleep?: { readonly seconds: number };
}

/** Where and how a handler runs: the app's address, named ports, and the app's process settings for exec. */
export interface HandlerContext {
  readonly host: string;
  /** Container ports by name (a handler may name its port). */
  readonly namedPorts: Readonly<Record<string, number>>;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** setpriv arguments to run exec handlers as the app user. */
  readonly switchUser?: readonly string[];
}

/** The `lifecycle.<hook>` handler of a container's (unvalidated) lifecycle field, when it has one. */
export function lifecycleHandler(lifecycle: unknown, hook: 'preStop' | 'postStart'): ContainerHandler | undefined {
  if (lifecycle === null || typeof lifecycle !== 'object') return undefined;
  const h = (lifecycle as Record<string, unknown>)[hook];
  if (h === null || typeof h !== 'object') return undefined;
  const handler = h as ContainerHandler;
  const ok = Array.isArray(handler.exec?.command) || handler.httpGet?.port !== undefined || handler.tcpSocket?.port !== undefined || typeof handler.sleep?.seconds === 'number';
  return ok ? handler : undefined;
}

/** Runs `handler` once; resolves true on success, false on failure or after `timeoutMs`. Never rejects. */
export async function runHandler(handler: ContainerHandler, ctx: HandlerContext, timeoutMs: number): Promise<boolean> {
  try {
    if (handler.exec) return await runExec(handler.exec.command ?? [], ctx, timeoutMs);
    if (handler.httpGet) {
      const port = portOf(handler.httpGet.port, ctx);
      if (port === undefined) return false;
      return await httpGet(handler.httpGet.host ?? ctx.host, port, handler.httpGet, timeoutMs);
    }
    if (handler.tcpSocket) {
      const port = portOf(handler.tcpSocket.port, ctx);
      if (port === undefined) return false;
      return await tcpConnect(handler.tcpSocket.host ?? ctx.host, port, timeoutMs);
    }
    if (handler.sleep) {
      await new Promise((r) => setTimeout(r, Math.min(handler.sleep!.seconds * 1000, timeoutMs)));
      return true;
    }
  } catch {
    return false;
  }
  return false;
}

function portOf(port: number | string, ctx: HandlerContext): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return ctx.namedPorts[port];
}

function httpGet(host: string, port: number, h: NonNullable<ContainerHandler['httpGet']>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'kube-probe/weft', accept: '*/*' };
    for (const { name, value } of h.httpHeaders ?? []) headers[name.toLowerCase()] = value;
    const lib = h.scheme === 'HTTPS' ? https : http;
    // The kubelet does not verify the certificate of an HTTPS probe.
    const req = lib.get({ host, port, path: h.path ?? '/', headers, agent: false, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    sock.setTimeout(timeoutMs, () => sock.destroy());
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
    sock.once('close', () => resolve(false));
  });
}

function runExec(command: readonly string[], ctx: HandlerContext, timeoutMs: number): Promise<boolean> {
  const [cmd, ...args] = command;
  if (cmd === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    let child;
    try {
      child = launch({ command: cmd, args, env: ctx.env, cwd: ctx.cwd, switchUser: ctx.switchUser });
    } catch {
      resolve(false);
      return;
    }
    child.stdout?.resume();
    child.stderr?.resume();
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), timeoutMs);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}
