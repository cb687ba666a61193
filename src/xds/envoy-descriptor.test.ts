/**
 * The pruned descriptor (envoy-descriptor.ts) must give exactly the types the parsed `.proto` files
 * give: for every type it keeps, the same reflection JSON; and for every TypeUrl plus the ADS
 * messages, the same bytes when encoding and the same object when decoding a resource that sets
 * (nearly) every field, nested several levels deep, with typed `Any` values inside.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { ENVOY_PROTO_SPEC, envoyRoot, OBJECT_OPTIONS } from './protos.js';
import { TypeUrl } from '../envoy/type-url.js';
import { parseEnvoyProtos, prunedDescriptor } from './envoy-descriptor.js';

const full = parseEnvoyProtos(ENVOY_PROTO_SPEC);
const pruned = protobuf.Root.fromJSON(prunedDescriptor(full, ENVOY_PROTO_SPEC));
pruned.resolveAll();

const ANY_SAMPLES = [
  { '@type': TypeUrl.Router, suppressEnvoyHeaders: true },
  { '@type': TypeUrl.RawBuffer },
  { '@type': TypeUrl.UpstreamTlsContext, sni: 'x.example', commonTlsContext: { alpnProtocols: ['h2'] } },
];
let anyIndex = 0;

/** A sample value for every field of `type` (one member per oneof), `depth` message levels deep. */
function sample(type: protobuf.Type, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const oneofsSeen = new Set<protobuf.OneOf>();
  for (const f of type.fieldsArray) {
    if (f.partOf) {
      if (oneofsSeen.has(f.partOf)) continue;
      oneofsSeen.add(f.partOf);
    }
    const v = valueOf(f, depth);
    if (v === undefined) continue;
    if (f.map) out[f.name] = { [/int|fixed/.test((f as unknown as protobuf.MapField).keyType) ? '7' : 'k']: v };
    else out[f.name] = f.repeated ? [v, v] : v;
  }
  return out;
}

function valueOf(f: protobuf.Field, depth: number): unknown {
  const t = f.resolve().resolvedType;
  if (t instanceof protobuf.Enum) {
    const names = Object.keys(t.values);
    return names[names.length - 1];
  }
  if (t instanceof protobuf.Type) {
    if (t.fullName === '.google.protobuf.Any') return ANY_SAMPLES[anyIndex++ % ANY_SAMPLES.length];
    if (t.fullName === '.google.protobuf.Value') return { stringValue: 'v' };
    if (t.fullName === '.google.protobuf.Struct') return { fields: { a: { numberValue: 2 } } };
    if (t.fullName === '.google.protobuf.ListValue') return { values: [{ boolValue: true }] };
    if (t.fullName === '.google.protobuf.Duration' || t.fullName === '.google.protobuf.Timestamp') return { seconds: 3, nanos: 5 };
    if (depth <= 0) return undefined;
    return sample(t, depth - 1);
  }
  switch (f.type) {
    case 'string': return `s-${f.name}`;
    case 'bytes': return 'aGk=';
    case 'bool': return true;
    case 'double': case 'float': return 1.5;
    default: return 7;
  }
}

/** JSON-equal copy (protobufjs builds some objects without a prototype). */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}

function sameBehaviour(name: string, depth: number): void {
  if (full.lookup(name) === null) {
    // Not in the parsed files either (e.g. a TypeUrl whose .proto Weft does not load): same failure.
    assert.throws(() => pruned.lookupType(name), /no such type/);
    return;
  }
  const a = full.lookupType(name);
  const b = pruned.lookupType(name);
  const obj = sample(a, depth);
  const bytesA = a.encode(a.fromObject(obj)).finish();
  const bytesB = b.encode(b.fromObject(obj)).finish();
  assert.ok(bytesA.length > 0 || Object.keys(obj).length === 0, `${name}: sample encodes to something`);
  assert.deepEqual(Buffer.from(bytesB), Buffer.from(bytesA), `${name}: same bytes`);
  const decodedA = a.toObject(a.decode(bytesA), OBJECT_OPTIONS);
  assert.deepEqual(plain(b.toObject(b.decode(bytesA), OBJECT_OPTIONS)), plain(decodedA), `${name}: same decoded object`);
  assert.ok(JSON.stringify(decodedA).length > 100 || Object.keys(obj).length < 3, `${name}: a rich sample`);
}

test('every resource type (each TypeUrl) and the ADS messages encode and decode identically with the pruned descriptor', () => {
  const names = [
    ...Object.values(TypeUrl).map((u) => u.replace(/^type\.googleapis\.com\//, '')),
    'envoy.service.discovery.v3.DiscoveryRequest', 'envoy.service.discovery.v3.DiscoveryResponse', 'envoy.config.core.v3.Node', 'google.rpc.Status',
  ];
  for (const name of names) sameBehaviour(name, 3);
});

test('every kept type has the reflection of the parsed files (fields, ids, rules, options, oneofs)', () => {
  let count = 0;
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const x of ns.nestedArray) {
      if (x instanceof protobuf.Type || x instanceof protobuf.Enum) {
        const orig = full.lookup(x.fullName);
        assert.ok(orig, `${x.fullName} exists in the parsed files`);
        const strip = (j: unknown) => {
          const o = { ...(j as Record<string, unknown>) };
          delete o['nested'];
          // protobufjs' Enum.fromJSON does not carry per-value options (annotations such as
          // `deprecated`); they play no part in encoding or decoding.
          delete o['valuesOptions'];
          return o;
        };
        assert.deepEqual(plain(strip(x.toJSON())), plain(strip(orig!.toJSON())), x.fullName);
        count++;
      }
      if (x instanceof protobuf.Namespace || x instanceof protobuf.Type) walk(x);
    }
  };
  walk(pruned);
  assert.ok(count > 300, `kept ${count} types`);
  assert.ok(pruned.lookupEnum('envoy.type.v3.StatusCode'));
});

test('envoyRoot() (cached descriptor or not) is the pruned root', () => {
  assert.deepEqual(plain(envoyRoot().toJSON()), plain(pruned.toJSON()));
});
