/**
 * Redaction of `/config_dump`, as Envoy's admin does: fields the API marks
 * `(udpa.annotations.sensitive) = true` (TlsCertificate `private_key` and `password`,
 * TlsSessionTicketKeys `keys`, GenericSecret `secret`, OAuth2/HMAC secrets) are replaced by
 * `[redacted]` (Envoy's `MessageUtil::redact`, source/common/protobuf/utility.cc); a DataSource
 * that names a file keeps its file name (the path is not the secret). The admin port is reachable
 * by any local process under `weft up` (README "Security"), so nothing it serves may hold a key.
 */

/** What a redacted value reads as (Envoy's marker). */
export const REDACTED = '[redacted]';

/** Field names (proto JSON and snake case) whose values are secret. */
const SENSITIVE = new Set([
  'privateKey', 'private_key', 'password', 'sessionTicketKeys', 'session_ticket_keys', 'genericSecret', 'generic_secret',
  'hmacSecret', 'hmac_secret', 'tokenSecret', 'token_secret', 'clientSecret', 'client_secret', 'inlineKey', 'inline_key',
]);

function redactValue(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.filename === 'string') return { filename: o.filename };
    if ('inlineString' in o || 'inlineBytes' in o || 'inline_string' in o || 'inline_bytes' in o || 'environmentVariable' in o) return { inlineString: REDACTED };
  }
  return REDACTED;
}

/** A `JSON.stringify` replacer that redacts every sensitive field (after `toJSON`, so any value shape works). */
export function redactingReplacer(key: string, value: unknown): unknown {
  return SENSITIVE.has(key) && value !== undefined && value !== null ? redactValue(value) : value;
}

/** `value` as the JSON text `/config_dump` serves: pretty-printed, sensitive fields redacted. */
export function redactedJson(value: unknown): string {
  return JSON.stringify(value, redactingReplacer, 2) + '\n';
}
