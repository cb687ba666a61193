/**
 * Where the `weft` executable is, so `weft up` can start proxies as `node <bin> proxy …`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of `bin/weft.js` (this file compiles to dist/src/up/). */
export const WEFT_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/weft.js');
