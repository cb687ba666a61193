/**
 * The proxy's control-plane connection state, as Envoy exposes it: the gauge
 * `control_plane.connected_state` (1 while the ADS stream is up, 0 otherwise; Envoy's
 * source/extensions/config_subscription/grpc/grpc_stream.h, `ControlPlaneStats`), which
 * `/stats/prometheus` names `envoy_control_plane_connected_state`. It also logs one line when the
 * connection is lost (the reason and the retry delay), one per further failed attempt, and one
 * when it is back. The proxy keeps serving its last accepted config meanwhile (ads-client.ts).
 */
import type { AdsClient } from '../xds/ads-client.js';
import type { Scalar, StatsStore } from './stats/stats-store.js';

/** Registers the gauge on `store` and keeps it (and the log) in step with `ads`. Returns the gauge. */
export function trackControlPlaneConnection(ads: AdsClient, store: StatsStore, log: (line: string) => void): Scalar {
  const gauge = store
    .family<Scalar>({
      name: 'envoy_control_plane_connected_state',
      type: 'gauge',
      help: 'Whether the proxy is connected to the control plane (1) or not (0).',
      labelNames: [],
      envoyName: () => 'control_plane.connected_state',
    })
    .with({});
  gauge.set(0);
  let lostAt = 0;
  let everConnected = false;
  ads.on('connected', () => {
    gauge.set(1);
    if (lostAt > 0) log(`proxy: control plane connection restored after ${((Date.now() - lostAt) / 1000).toFixed(1)} s; resyncing (serving the last config meanwhile)`);
    lostAt = 0;
    everConnected = true;
  });
  ads.on('disconnected', (reason, retryInMs) => {
    gauge.set(0);
    if (!everConnected) return; // the first connection is still being made
    if (lostAt === 0) {
      lostAt = Date.now();
      log(`proxy: control plane connection lost (${reason}); keeping the last config; retrying in ${retryInMs} ms`);
    } else {
      log(`proxy: control plane still unreachable (${reason}); retrying in ${retryInMs} ms`);
    }
  });
  return gauge;
}
