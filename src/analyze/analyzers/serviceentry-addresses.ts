/**
 * serviceentry.ProtocolAddressesAnalyzer: a ServiceEntry port serving TCP (or no declared
 * protocol) needs `addresses`, since TCP traffic is matched by destination IP and port only; without
 * one, all traffic to that port matches regardless of host (IST0134).
 */
import type { Diagnostic } from '../../config/diagnostic.js';
import type { Analyzer } from '../analyzer.js';
import { message } from '../analyzer.js';
import type { AnalysisContext } from '../context.js';
import { Messages } from '../messages.js';
import type { ServiceEntryView } from '../views.js';

/** The analyzer. */
export const protocolAddressesAnalyzer: Analyzer = {
  name: 'serviceentry.ProtocolAddressesAnalyzer',
  description: 'Checks that ServiceEntries serving TCP (or unset) protocols have addresses',
  inputs: ['ServiceEntry'],
  analyze(ctx: AnalysisContext): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const r of ctx.list<ServiceEntryView>('ServiceEntry')) {
      if ((r.spec.addresses ?? []).length > 0) continue;
      const i = (r.spec.ports ?? []).findIndex((p) => !p.protocol || p.protocol.toUpperCase() === 'TCP');
      if (i >= 0) out.push(message(Messages.ServiceEntryAddressesRequired, r, ['spec', 'ports', i]));
    }
    return out;
  },
};
