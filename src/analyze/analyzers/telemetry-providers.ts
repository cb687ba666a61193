/**
 * telemetry.ProviderAnalyzer: a Telemetry entry that names no provider falls back to the mesh's
 * default providers; for access logging there is none by default, so the entry is ignored
 * (IST0157, as istioctl reports). Weft also reports an entry whose every provider is missing from
 * the mesh config's `extensionProviders`, since it is ignored in the same way.
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
            if ((defaults[defaultKey]?.length ?? 0) === 0) bad = ['spec', section, i];
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
