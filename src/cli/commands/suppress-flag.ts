/**
 * `--suppress CODE=RESOURCE` (`-S`) for the commands that print the loader's messages while they
 * run (`weft apply`, `weft up`, `weft control`), in istioctl analyze's syntax
 * (config/suppression.ts): `--suppress "WFT0007=NetworkPolicy *"`. Warnings and infos are
 * silenced; errors are always printed, since they refuse config.
 */
import type { FlagSpec, ParsedArgs } from '../args.js';
import { listFlag } from '../args.js';
import { usageError } from '../errors.js';
import { parseSuppression, type Suppression } from '../../config/suppression.js';

/** The flag's declaration. */
export const SUPPRESS_FLAG: FlagSpec = {
  name: 'suppress', aliases: ['S'], type: 'string', multiple: true, valueName: 'CODE=RESOURCE',
  description: 'Silence a warning or info code on a resource, as istioctl analyze --suppress ("WFT0007=NetworkPolicy *", "WFT0100=VirtualService reviews.default"); "*" matches any characters; repeatable',
};

/** The parsed `--suppress` entries; a usage error for a value without `CODE=RESOURCE`. */
export function suppressFlag(args: ParsedArgs): Suppression[] {
  return listFlag(args, 'suppress').map((s) => {
    const parsed = parseSuppression(s);
    if (!parsed) throw usageError(`${s} is not a valid suppression value: use CODE=Kind name.namespace`);
    return parsed;
  });
}
