/**
 * telemetry.ProviderAnalyzer: an access logging entry that names no provider (and is not
 * `disabled`) falls back to the mesh's default access log providers; there are none by default, so
 * the entry is ignored (IST0157, as istioctl reports: istio/istio
 * `pkg/config/analysis/analyzers/telemetry/providers.go`, access logging only; metrics and tracing
 * entries without providers are not reported, tracing falls back to the mesh's tracer). Weft also
 * reports an entry of any section whose every provider is missing from the mesh config's
 * `extensionProviders`, since it is ignored in the same way.
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import type { TelemetryProviderEntry, TelemetryView } from '../views.js';

const SECTIONS = [
  ['accessLogging', 'accessLogging'],
  ['metrics', 'metrics'],
  ['tracing', 'tracing'],
] as const;

/** The analyzer. */
export const telemetryProviderAnalyzer: Analyzer = {
  name: 'telemetry.ProviderAnalyzer',
  description: 'Validates that providers in telemetry resource is valid',
  inputs: ['Telemetry', 'MeshConfig'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const known = new Set(ctx.mesh.extensionProviders.map((p) => p.name));
    const defaults = ctx.mesh.defaultProviders;
    const out: Diagnostic[] = [];
    for (const r of ctx.list<TelemetryView>('Telemetry')) {
      let bad: (string | number)[] | undefined;
      for (const [section, defaultKey] of SECTIONS) {
        const entries: readonly TelemetryProviderEntry[] = r.spec[section] ?? [];
        entries.forEach((e, i) => {
          if (bad || e.disabled === true) return;
          const providers = e.providers ?? [];
          if (providers.length === 0) {
            if (section === 'accessLogging' && (defaults[defaultKey]?.length ?? 0) === 0) bad = ['spec', section, i];
          } else if (providers.every((p) => !known.has(p.name))) {
            bad = ['spec', section, i, 'providers'];
          }
        });
      }
      if (bad) out.push(message(Messages.InvalidTelemetryProvider, r, bad, r.metadata.name, r.metadata.namespace));
    }
    return out;
  },
};
