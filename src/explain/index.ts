/** `weft explain`'s engine: replay one hypothetical request and say what the mesh does with it, and why. */
/** The engine and its options. */
export { explain, DEFAULT_GATEWAY_PORT_MAP, type ExplainOptions } from './explain.js';
/** The text report. */
export { formatExplanation } from './format-text.js';
/** Where the config comes from: files, or the running mesh's debug endpoints. */
export { analysisOf, configFromFiles, configFromMesh, placeholderAddress, type ConfigzBody, type ExplainConfig, type RegistryzBody } from './config-source.js';
/** Parsing the request given on the command line. */
export { parseExplainRequest, parseHeaderFlags } from './request.js';
/** The structured result (`-o json`). */
export type * from './types.js';
