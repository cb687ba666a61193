/**
 * serviceentry.ConflictingServiceEntryProtocolAnalyzer: ServiceEntries visible in one namespace that
 * declare the same host and port with different protocols conflict; only one protocol can be used
 * (IST0177, reported once per ServiceEntry).
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Resource } from '../../config/resource.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import type { ServiceEntryView } from '../views.js';

interface Entry { readonly protocol: string; readonly se: Resource<ServiceEntryView> }

/** The analyzer. */
export const conflictingServiceEntryProtocolAnalyzer: Analyzer = {
  name: 'serviceentry.ConflictingServiceEntryProtocolAnalyzer',
  description: 'Checks if multiple ServiceEntries define the same host and port with different protocols',
  inputs: ['ServiceEntry'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const index = new Map<string, { scope: string; host: string; port: number; entries: Entry[] }>();
    for (const se of ctx.list<ServiceEntryView>('ServiceEntry')) {
      const ns = se.metadata.namespace;
      const exportTo = se.spec.exportTo ?? [];
      const scopes = exportTo.length === 0 || exportTo.includes('*') ? ['*'] : [...new Set(exportTo.map((e) => (e === '.' ? ns : e)))];
      for (const scope of scopes) {
        for (const host of se.spec.hosts ?? []) {
          for (const p of se.spec.ports ?? []) {
            const key = `${scope}|${host}|${p.number}`;
            const item = index.get(key) ?? { scope, host, port: p.number, entries: [] };
            item.entries.push({ protocol: (p.protocol ?? '').toUpperCase(), se });
            index.set(key, item);
          }
        }
      }
    }
    const out: Diagnostic[] = [];
    const reported = new Set<Resource>();
    for (const item of index.values()) {
      let entries = item.entries;
      if (item.scope !== '*') entries = [...entries, ...(index.get(`*|${item.host}|${item.port}`)?.entries ?? [])];
      const protocols = [...new Set(entries.map((e) => e.protocol))].sort();
      if (protocols.length < 2) continue;
      const names = [...new Set(entries.map((e) => `${e.se.metadata.namespace}/${e.se.metadata.name}`))].sort().join(', ');
      for (const e of entries) {
        if (reported.has(e.se)) continue;
        reported.add(e.se);
        out.push(message(Messages.ConflictingServiceEntryProtocol, e.se, ['metadata', 'name'], names, item.host, item.port, protocols.join(', ')));
      }
    }
    return out;
  },
};
