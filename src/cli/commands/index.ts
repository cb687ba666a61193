/**
 * The list of `weft` commands, in the order `weft --help` shows them. Each command's module is
 * loaded only when that command runs, so a quick command (`weft apply`) does not pay for loading
 * the proxy, the control plane and Envoy's protos.
 */
import type { Command } from '../command.js';

/** A command as the dispatcher knows it before loading it. */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

/** Every command `weft` knows. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'up', summary: 'Run a whole mesh on this machine from a directory of Istio + Kubernetes YAML', load: async () => (await import('./up.js')).upCommand },
  { name: 'analyze', summary: "Analyze Istio configuration and print validation messages (istioctl analyze's codes and format)", load: async () => (await import('./analyze.js')).analyzeCommand },
  { name: 'apply', summary: 'Validate and apply configuration to the running mesh', load: async () => (await import('./apply.js')).applyCommand },
  { name: 'get', summary: 'List resources in the running mesh', load: async () => (await import('./get.js')).getCommand },
  { name: 'delete', summary: 'Delete applied resources from the running mesh', load: async () => (await import('./delete.js')).deleteCommand },
  { name: 'proxy-status', summary: 'Show the xDS sync state of every proxy', load: async () => (await import('./proxy-status.js')).proxyStatusCommand },
  { name: 'proxy-config', summary: "Show a proxy's listeners, routes, clusters, endpoints or secrets", load: async () => (await import('./proxy-config.js')).proxyConfigCommand },
  { name: 'explain', summary: 'Explain what the mesh does with one request: route, rule, destination, endpoints, policies, TLS, authorization', load: async () => (await import('./explain.js')).explainCommand },
  { name: 'exec', summary: "Run a command with a pod's environment, so its requests go through the pod's sidecar", load: async () => (await import('./exec.js')).execCommand },
  { name: 'load', summary: "Generate HTTP load and report latency percentiles (fortio load's flags and summary)", load: async () => (await import('./load.js')).loadCommand },
  { name: 'control', summary: 'Run the control plane (xDS over ADS, config API)', load: async () => (await import('./control.js')).controlCommand },
  { name: 'proxy', summary: 'Run the data-plane proxy (sidecar or gateway)', load: async () => (await import('./proxy.js')).proxyCommand },
];
