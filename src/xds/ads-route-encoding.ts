/**
 * RouteConfiguration encoding by parts. A sidecar's RouteConfiguration holds one VirtualHost per
 * service (1,000 in the benchmark mesh, about 1 MB encoded), and after a VirtualService change it
 * differs from the previous one in a single VirtualHost. The translation keeps unchanged
 * VirtualHost objects identical (translate/cached-routes.ts), so each VirtualHost object is
 * encoded once, as its `virtual_hosts` field (2), and a RouteConfiguration's bytes are
 * `name` (field 1) + the VirtualHost fields + the remaining fields (3 and up): exactly what
 * encoding the whole message gives, since protobufjs writes fields in field-number order
 * (checked in ads-route-encoding.test.ts).
 */
import { encodeResource } from './protos.js';
import { TypeUrl } from '../envoy/type-url.js';
import { lenFieldSize, writeLenField } from './protobuf-fields.js';

const VIRTUAL_HOST = 'envoy.config.route.v3.VirtualHost';

interface RouteConfigurationObject {
  readonly name?: string;
  readonly virtualHosts?: readonly object[];
  readonly [field: string]: unknown;
}

/** Encodes RouteConfigurations from per-VirtualHost encodings cached by object identity. */
export class RouteConfigEncoder {
  private readonly vhosts = new WeakMap<object, Buffer>();
  /** VirtualHosts encoded (cache misses). */
  vhostEncodes = 0;

  /** Protobuf bytes of a RouteConfiguration object, equal to `encodeResource(RouteConfiguration, obj)`. */
  encode(obj: object): Uint8Array {
    const { name, virtualHosts, ...rest } = obj as RouteConfigurationObject;
    if (!virtualHosts || virtualHosts.length === 0) return encodeResource(TypeUrl.RouteConfiguration, obj);
    const head = name === undefined ? undefined : encodeResource(TypeUrl.RouteConfiguration, { name });
    const tail = encodeResource(TypeUrl.RouteConfiguration, rest);
    const parts: Uint8Array[] = [];
    if (head) parts.push(head);
    for (const vh of virtualHosts) parts.push(this.vhostField(vh));
    parts.push(tail);
    return Buffer.concat(parts);
  }

  /** A VirtualHost as a `virtual_hosts` field: tag, length, message bytes. */
  private vhostField(vh: object): Buffer {
    let f = this.vhosts.get(vh);
    if (f) return f;
    const bytes = encodeResource(VIRTUAL_HOST, vh);
    f = Buffer.allocUnsafe(lenFieldSize(2, bytes.length));
    writeLenField(f, 0, 2, bytes);
    this.vhosts.set(vh, f);
    this.vhostEncodes++;
    return f;
  }
}
