/**
 * The words `weft proxy-config` takes, in Weft's and istioctl's spellings: the section
 * (`clusters` or istioctl's `cluster`, `c`; istioctl proxy-config's cobra commands declare
 * `cluster` with aliases `clusters`/`c`, `listener` `listeners`/`l`, `route` `routes`/`r`,
 * `endpoint` `endpoints`/`ep`, `secret` `secrets`/`s`, `all` `a`) and the target pod
 * (`POD`, `POD.NS`, or `POD` with `-n NS`, as istioctl's `pod-name[.namespace]`).
 */

/** The sections of a proxy's config `weft proxy-config` prints. */
export const PROXY_CONFIG_SECTIONS = ['listeners', 'routes', 'clusters', 'endpoints', 'secrets', 'all'] as const;

/** One section, in its plural (canonical) spelling. */
export type ProxyConfigSection = (typeof PROXY_CONFIG_SECTIONS)[number];

const ALIASES: Readonly<Record<string, ProxyConfigSection>> = {
  listeners: 'listeners', listener: 'listeners', l: 'listeners',
  routes: 'routes', route: 'routes', r: 'routes',
  clusters: 'clusters', cluster: 'clusters', c: 'clusters',
  endpoints: 'endpoints', endpoint: 'endpoints', ep: 'endpoints',
  secrets: 'secrets', secret: 'secrets', s: 'secrets',
  all: 'all', a: 'all',
};

/** The section a user names (`cluster`, `clusters`, `c`, case-insensitive), or undefined. */
export function proxyConfigSection(word: string): ProxyConfigSection | undefined {
  return Object.hasOwn(ALIASES, word.toLowerCase()) ? ALIASES[word.toLowerCase()] : undefined;
}

/**
 * The `pod.namespace` a target stands for: `POD.NS` as written (a dotted target names its
 * namespace, as in istioctl, and wins over `-n`), else `POD` in `namespace` (default `default`).
 */
export function proxyConfigTarget(target: string, namespace: string | undefined): string {
  return target.includes('.') ? target : `${target}.${namespace ?? 'default'}`;
}
