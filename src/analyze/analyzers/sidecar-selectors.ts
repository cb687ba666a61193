/**
 * sidecar.SelectorAnalyzer: a Sidecar's workloadSelector must match pods in its namespace (IST0101),
 * two Sidecars must not select the same pod (IST0110), and a namespace may hold only one Sidecar
 * without a selector (IST0111). A Sidecar on an ambient namespace or pod has no effect (IST0167).
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import type { SidecarView } from '../views.js';
import { analyzeSelectorConflicts } from './selector-conflicts.js';
import { selectorIsEmpty } from '../../config/labels.js';

const AMBIENT_LABEL = 'istio.io/dataplane-mode';

/** A Sidecar's selector labels: Istio's `workloadSelector.labels` (`matchLabels` also read). */
export function sidecarLabels(s: SidecarView): Readonly<Record<string, string>> | undefined {
  return s.workloadSelector?.labels ?? s.workloadSelector?.matchLabels;
}

/** The analyzer. */
export const sidecarSelectorAnalyzer: Analyzer = {
  name: 'sidecar.SelectorAnalyzer',
  description: 'Validates that sidecars that define a workload selector match an existing workload and that multiple sidecars do not conflict',
  inputs: ['Sidecar', 'Deployment', 'WorkloadEntry', 'Namespace'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out = analyzeSelectorConflicts<SidecarView>(ctx, {
      kind: 'Sidecar',
      selector: (s) => ({ labels: sidecarLabels(s), path: ['spec', 'workloadSelector', s.workloadSelector?.labels ? 'labels' : 'matchLabels'] }),
      conflicting: Messages.ConflictingSidecarWorkloadSelectors,
      multipleWithoutSelector: Messages.MultipleSidecarsWithoutWorkloadSelectors,
    });
    for (const r of ctx.list<SidecarView>('Sidecar')) {
      const ns = r.metadata.namespace;
      const labels = sidecarLabels(r.spec);
      if (ctx.namespaceLabels(ns)?.[AMBIENT_LABEL] === 'ambient') {
        out.push(message(Messages.IneffectivePolicy, r, ['metadata', 'name'], 'namespace is in ambient mode, the policy has no impact'));
      } else if (!selectorIsEmpty(labels) && ctx.selectWorkloads(labels, ns).some((w) => w.labels[AMBIENT_LABEL] === 'ambient')) {
        out.push(message(Messages.IneffectivePolicy, r, ['spec', 'workloadSelector'], 'selected workload is in ambient mode, the policy has no impact'));
      }
    }
    return out;
  },
};
