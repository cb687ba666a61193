/**
 * telemetry.SelectorAnalyzer and telemetry.DefaultSelectorAnalyzer: a Telemetry's selector must
 * match pods in its namespace (IST0101), two Telemetries must not select the same pod (IST0159),
 * and a namespace may hold only one Telemetry without a selector (IST0160). Telemetries that use
 * `targetRef(s)` are not selector-based and are skipped.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import type { TelemetryView } from '../views.js';
import { analyzeSelectorConflicts } from './selector-conflicts.js';

/** The analyzer. */
export const telemetrySelectorAnalyzer: Analyzer = {
  name: 'telemetry.SelectorAnalyzer',
  description: 'Validates that telemetries that define a selector match an existing workload and that multiple telemetries do not conflict',
  inputs: ['Telemetry', 'Deployment', 'WorkloadEntry'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    return analyzeSelectorConflicts<TelemetryView>(ctx, {
      kind: 'Telemetry',
      selector: (s) => ({ labels: s.selector?.matchLabels, path: ['spec', 'selector', 'matchLabels'] }),
      conflicting: Messages.ConflictingTelemetryWorkloadSelectors,
      multipleWithoutSelector: Messages.MultipleTelemetriesWithoutWorkloadSelectors,
      skip: (s) => s.targetRef !== undefined || (s.targetRefs?.length ?? 0) > 0,
    });
  },
};
