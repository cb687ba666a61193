/**
 * envoyfilter.EnvoyPatchAnalyzer: checks each EnvoyFilter patch's operation against what it applies
 * to, as istioctl does (istio/istio `pkg/config/analysis/analyzers/envoyfilter/envoyfilter.go`):
 * - ADD on ROUTE_CONFIGURATION or HTTP_ROUTE is ignored by istiod (IST0153, Error);
 * - REMOVE on ROUTE_CONFIGURATION or HTTP_ROUTE is ignored (IST0154, Error), elsewhere it is relative;
 * - REPLACE on anything but HTTP_FILTER / NETWORK_FILTER is invalid (IST0152, Error), else relative;
 * - INSERT_BEFORE / INSERT_AFTER are relative.
 * A relative operation in an EnvoyFilter without `priority` may apply in the wrong order (IST0151),
 * or, when an earlier patch for the same filter name matched on `proxyVersion`, stop applying
 * after an upgrade (IST0155). MERGE, ADD elsewhere and INSERT_FIRST are never reported (Istio
 * does not report them either). Patches after one with no `patch` section are not checked (Istio
 * stops there). Weft does not run EnvoyFilters; this is analysis only.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Resource } from '../../config/resource.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { envoyFilterView, type EnvoyFilterPatchView } from '../envoy-filter.js';
import type { MessageType } from '../messages.js';
import { Messages } from '../messages.js';

const ROUTE_LEVEL = new Set(['ROUTE_CONFIGURATION', 'HTTP_ROUTE']);
const REPLACEABLE = new Set(['HTTP_FILTER', 'NETWORK_FILTER']);

/**
 * The name Istio compares across patches: `patch.value.name` when the value has one, else the
 * listener match's filter name when the value has other fields, else empty.
 */
function instanceName(p: EnvoyFilterPatchView): string {
  const value = p.patch?.value;
  if (!value || Object.keys(value).length === 0) return '';
  if (value.name !== undefined && value.name !== null) return JSON.stringify(value.name);
  return p.listenerFilterName ?? '';
}

/** Where a patch's message points: its `patch.value` (Istio's line), else its operation. */
function patchPath(p: EnvoyFilterPatchView): (string | number)[] {
  return ['spec', 'configPatches', p.index, 'patch', p.patch?.value ? 'value' : 'operation'];
}

/** The analyzer. */
export const envoyFilterPatchAnalyzer: Analyzer = {
  name: 'envoyfilter.EnvoyPatchAnalyzer',
  description: 'Checks an envoyFilters ',
  inputs: ['EnvoyFilter'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out: Diagnostic[] = [];
    // Filter names of earlier patches (in every EnvoyFilter analyzed so far) that match on proxyVersion.
    const versioned = new Set<string>();
    for (const r of ctx.list<unknown>('EnvoyFilter')) out.push(...checkFilter(r, versioned));
    return out;
  },
};

function checkFilter(r: Resource<unknown>, versioned: Set<string>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const ef = envoyFilterView(r.spec);
  const report = (type: MessageType, p: EnvoyFilterPatchView) => out.push(message(type, r, patchPath(p)));
  const relative = (p: EnvoyFilterPatchView, name: string) => {
    if (ef.priority !== 0) return;
    report(versioned.has(name) ? Messages.EnvoyFilterUsesRelativeOperationWithProxyVersion : Messages.EnvoyFilterUsesRelativeOperation, p);
  };
  for (const p of ef.configPatches) {
    if (!p.patch) break;
    const name = instanceName(p);
    const op = p.patch.operation;
    if (op === 'ADD') {
      if (ROUTE_LEVEL.has(p.applyTo)) report(Messages.EnvoyFilterUsesAddOperationIncorrectly, p);
    } else if (op === 'REMOVE') {
      if (ROUTE_LEVEL.has(p.applyTo)) report(Messages.EnvoyFilterUsesRemoveOperationIncorrectly, p);
      else relative(p, name);
    } else if (op === 'REPLACE') {
      if (!REPLACEABLE.has(p.applyTo)) report(Messages.EnvoyFilterUsesReplaceOperationIncorrectly, p);
      else relative(p, name);
    } else if (op === 'INSERT_BEFORE' || op === 'INSERT_AFTER') {
      relative(p, name);
    }
    if (p.proxyVersion) versioned.add(name);
  }
  return out;
}
