/**
 * Converts Istio's Headers (request/response set/add/remove) into Envoy header mutations, as istiod's
 * TranslateHeadersOperations: `set` overwrites, `add` appends, each sorted by name; pseudo-headers and
 * `host` are never mutated directly: a `host`/`:authority` in set (preferred) or add becomes the
 * authority, which callers turn into a host rewrite.
 */
import type { Headers } from '../../config/schema/virtual-service.js';
import type { HeaderValueOption } from '../../envoy/types/core.js';

/** Header mutations for one route or one weighted destination. */
export interface HeaderOperations {
  readonly requestHeadersToAdd: readonly HeaderValueOption[];
  readonly requestHeadersToRemove: readonly string[];
  readonly responseHeadersToAdd: readonly HeaderValueOption[];
  readonly responseHeadersToRemove: readonly string[];
  /** Authority requested through a `host` / `:authority` header, '' when none. */
  readonly authority: string;
}

const isInternal = (k: string) => k.startsWith(':') || k.toLowerCase() === 'host';
const isAuthority = (k: string) => k.toLowerCase() === ':authority' || k.toLowerCase() === 'host';

function options(map: Readonly<Record<string, string>> | undefined, overwrite: boolean): { list: HeaderValueOption[]; authority: string } {
  let authority = '';
  const list: HeaderValueOption[] = [];
  for (const key of Object.keys(map ?? {}).sort()) {
    const value = map![key]!;
    if (isAuthority(key)) authority = value;
    if (isInternal(key)) continue;
    list.push(overwrite ? { header: { key, value }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' } : { header: { key, value }, appendAction: 'APPEND_IF_EXISTS_OR_ADD' });
  }
  return { list, authority };
}

/** Converts header operations (absent = none). */
export function convertHeaderOperations(headers: Headers | undefined): HeaderOperations {
  const reqSet = options(headers?.request?.set, true);
  const reqAdd = options(headers?.request?.add, false);
  const respSet = options(headers?.response?.set, true);
  const respAdd = options(headers?.response?.add, false);
  return {
    requestHeadersToAdd: [...reqSet.list, ...reqAdd.list],
    requestHeadersToRemove: (headers?.request?.remove ?? []).filter((k) => !isInternal(k)),
    responseHeadersToAdd: [...respSet.list, ...respAdd.list],
    responseHeadersToRemove: (headers?.response?.remove ?? []).filter((k) => !isInternal(k)),
    authority: reqSet.authority || reqAdd.authority,
  };
}

/** True when the operations change nothing. */
export function isEmptyHeaderOperations(ops: HeaderOperations): boolean {
  return ops.requestHeadersToAdd.length + ops.requestHeadersToRemove.length + ops.responseHeadersToAdd.length + ops.responseHeadersToRemove.length === 0;
}
