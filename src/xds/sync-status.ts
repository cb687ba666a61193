/**
 * Per proxy and xDS type: what the control plane sent, what the proxy acknowledged, and the last
 * rejection — and the resulting state as `istioctl proxy-status` prints it. Feeds
 * `weft proxy-status` and `/debug/syncz`.
 */
import { shortName, type XdsShortName } from './ads-types.js';

/** Sync state of one type for one proxy, spelled as istioctl spells it. */
export type SyncState = 'SYNCED' | 'STALE' | 'NOT SENT';

/** Sync details of one type for one proxy. */
export interface TypeSyncStatus {
  state: SyncState;
  /** version_info of the last response sent. */
  sentVersion?: string;
  /** nonce of the last response sent. */
  sentNonce?: string;
  /** When the last response was sent (ISO 8601). */
  sentAt?: string;
  /** Last version the proxy ACKed on this stream (or reported when it connected). */
  ackedVersion?: string;
  /** Version of the last NACKed response. */
  nackVersion?: string;
  /** error_detail message of the last NACK. */
  nackMessage?: string;
  /** Resources of this type the proxy holds after the last response (named types send only changes). */
  resourceCount?: number;
}

/** One row of `server.status()`: one connected proxy. */
export interface ProxySyncStatus {
  /** Node id. */
  id: string;
  /** Node cluster ('' when unset). */
  cluster: string;
  /** Identifier of the stream (several streams of one proxy may overlap briefly on reconnect). */
  streamId: number;
  /** When the stream was opened (ISO 8601). */
  connectedSince: string;
  /** Per type short name (CDS, EDS, LDS, RDS, SDS). */
  types: Record<XdsShortName, TypeSyncStatus>;
}

interface TypeRecord {
  sentVersion?: string;
  sentNonce?: string;
  sentAt?: number;
  resourceCount?: number;
  ackedVersion?: string;
  nackVersion?: string;
  nackMessage?: string;
}

/** istioctl's rule: nothing sent → NOT SENT; ACKed what was sent → SYNCED; otherwise STALE. */
export function syncState(sentVersion: string | undefined, ackedVersion: string | undefined): SyncState {
  if (sentVersion === undefined) return 'NOT SENT';
  return ackedVersion === sentVersion ? 'SYNCED' : 'STALE';
}

/** Records sends, ACKs and NACKs of one stream and renders its status row. */
export class SyncTracker {
  private readonly records = new Map<string, TypeRecord>();
  private readonly connectedAt = Date.now();

  constructor(
    private readonly id: string,
    private readonly cluster: string,
    private readonly streamId: number,
  ) {}

  private rec(typeUrl: string): TypeRecord {
    let r = this.records.get(typeUrl);
    if (!r) this.records.set(typeUrl, (r = {}));
    return r;
  }

  /** A response of `typeUrl` went out with this version and nonce. */
  sent(typeUrl: string, version: string, nonce: string, resourceCount: number): void {
    const r = this.rec(typeUrl);
    r.sentVersion = version;
    r.sentNonce = nonce;
    r.sentAt = Date.now();
    r.resourceCount = resourceCount;
  }

  /** The proxy accepted `version`. */
  acked(typeUrl: string, version: string): void {
    this.rec(typeUrl).ackedVersion = version;
  }

  /** The proxy reported on connect that it holds `version` from an earlier stream. */
  reported(typeUrl: string, version: string): void {
    const r = this.rec(typeUrl);
    if (r.ackedVersion === undefined && version !== '') r.ackedVersion = version;
  }

  /** The proxy rejected `version` with `message`; its acked version stays. */
  nacked(typeUrl: string, version: string, message: string): void {
    const r = this.rec(typeUrl);
    r.nackVersion = version;
    r.nackMessage = message;
  }

  /** Current state of one type. */
  state(typeUrl: string): SyncState {
    const r = this.records.get(typeUrl);
    return syncState(r?.sentVersion, r?.ackedVersion);
  }

  /** The status row of this stream. */
  row(): ProxySyncStatus {
    const types = {} as Record<XdsShortName, TypeSyncStatus>;
    for (const name of ['CDS', 'LDS', 'EDS', 'RDS', 'SDS'] as const) types[name] = { state: 'NOT SENT' };
    for (const [typeUrl, r] of this.records) {
      const name = shortName(typeUrl);
      if (!name) continue;
      const t: TypeSyncStatus = { state: syncState(r.sentVersion, r.ackedVersion) };
      if (r.sentVersion !== undefined) t.sentVersion = r.sentVersion;
      if (r.sentNonce !== undefined) t.sentNonce = r.sentNonce;
      if (r.sentAt !== undefined) t.sentAt = new Date(r.sentAt).toISOString();
      if (r.resourceCount !== undefined) t.resourceCount = r.resourceCount;
      if (r.ackedVersion !== undefined) t.ackedVersion = r.ackedVersion;
      if (r.nackVersion !== undefined) t.nackVersion = r.nackVersion;
      if (r.nackMessage !== undefined) t.nackMessage = r.nackMessage;
      types[name] = t;
    }
    return {
      id: this.id,
      cluster: this.cluster,
      streamId: this.streamId,
      connectedSince: new Date(this.connectedAt).toISOString(),
      types,
    };
  }
}
