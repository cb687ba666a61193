/** The request simulator: replays requests against a proxy's translated resources. */
export { simulate } from './simulate.js';
export type { SimAction, SimClusterChoice, SimError, SimErrorCode, SimMirror, SimRequest, SimResult, SimSuccess } from './types.js';
