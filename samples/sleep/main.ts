/**
 * sleep for Weft: a client workload that only stays alive, so that `weft exec sleep -- CMD` can run
 * commands with the sleep pod's environment (its sidecar as HTTP_PROXY) to send requests from
 * inside the mesh. Prints one line when ready and exits 0 on SIGTERM or SIGINT.
 */
import { onShutdown } from '../shared/lifecycle.js';

// A timer that never fires keeps the event loop, and so the process, alive.
const keepAlive = setInterval(() => undefined, 1 << 30);
onShutdown(() => clearInterval(keepAlive), 1_000);

const pod = process.env.POD_NAME ?? 'sleep';
// Printed without its credential (weft up's HTTP_PROXY carries the pod's secret as user:password).
const proxy = (process.env.HTTP_PROXY ?? process.env.http_proxy)?.replace(/\/\/[^@/]*@/, '//');
process.stdout.write(`sleep: pod ${pod} ready${proxy ? ` (sidecar ${proxy})` : ''}; try: weft exec sleep -- curl -sS http://httpbin:8000/headers\n`);
