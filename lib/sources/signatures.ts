import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookRejection, type WebhookRequest } from './source.js';

/**
 * The one primitive every provider's signature shares (docs/reference/hris-webhooks.md §6): HMAC over some
 * bytes, compared in constant time against each signature the delivery carries, under each
 * secret in force (two during a rotation).
 */
export function verifyHmac(options: { algorithm: 'sha256' | 'sha512'; keys: readonly Buffer[]; message: Buffer; received: readonly Buffer[]; header: string }): void {
  for (const key of options.keys) {
    const expected = createHmac(options.algorithm, key).update(options.message).digest();
    if (options.received.some((signature) => signature.length === expected.length && timingSafeEqual(expected, signature))) return;
  }
  throw new WebhookRejection('signature-mismatch', `${options.header} does not match the body: wrong secret, or the body was changed`);
}

export function requireHeader(request: WebhookRequest, name: string): string {
  const value = request.headers[name]?.trim();
  if (!value) throw new WebhookRejection('unsigned', `missing ${name} header`);
  return value;
}

export type SignatureEncoding = 'hex' | 'base64' | 'base64url';

/** What a signature may look like once trimmed and, for base64, stripped of its `=` padding. */
const signatureAlphabet: Record<SignatureEncoding, RegExp> = {
  hex: /^(?:[0-9a-f]{2})+$/i,
  base64: /^[A-Za-z0-9+/]+$/,
  base64url: /^[A-Za-z0-9_-]+$/,
};

/**
 * The bytes of a signature header. One signature has several spellings (upper- or lower-case hex,
 * base64 with or without `=` padding, surrounded by spaces or U+00A0, which `trim` removes too), so
 * it is verified and identified by its bytes, never by its spelling: a re-spelled replay is the
 * same delivery. Anything outside the encoding's alphabet is refused rather than half-decoded.
 */
export function signatureBytes(request: WebhookRequest, header: string, encoding: SignatureEncoding): Buffer {
  const value = requireHeader(request, header);
  const bare = encoding === 'hex' ? value : value.replace(/=+$/, '');
  if (!signatureAlphabet[encoding].test(bare)) throw new WebhookRejection('unsigned', `${header} is not a ${encoding} signature`);
  return Buffer.from(bare, encoding);
}

/**
 * The delivery id of a source that sends none: a hash of the signature's bytes (and of whatever
 * else the signature covers outside the body, such as BambooHR's timestamp).
 */
export const signatureDeliveryId = (source: string, signature: Buffer, ...signedAlongside: string[]): string =>
  `${source}-${createHash('sha256').update(Buffer.concat([signature, ...signedAlongside.map((part) => Buffer.from(`|${part}`))])).digest('hex').slice(0, 40)}`;

/** Refuses a delivery whose Unix-seconds timestamp is further than `toleranceSeconds` from now. */
export function requireFreshTimestamp(header: string, value: string, now: Date, toleranceSeconds: number): void {
  if (!/^\d+$/.test(value)) throw new WebhookRejection('stale-timestamp', `${header} must be Unix seconds`);
  const skew = Math.abs(now.getTime() / 1000 - Number(value));
  if (skew > toleranceSeconds) throw new WebhookRejection('stale-timestamp', `${header} is ${Math.round(skew)} s from now; deliveries older or newer than ${toleranceSeconds} s are refused`);
}

export const utf8Keys = (secrets: readonly string[]) => secrets.map((secret) => Buffer.from(secret, 'utf8'));

export interface StandardWebhooksHeaders {
  id: string;
  timestamp: string;
  signature: string;
}

/**
 * Standard Webhooks (docs/reference/hris-webhooks.md §3.5), also Finch's scheme: HMAC-SHA256 over
 * `id.timestamp.body`, base64, `v1,`-prefixed, several space-separated signatures allowed, and
 * the timestamp within five minutes. `keys` are the decoded HMAC keys.
 */
export function verifyStandardWebhook(request: WebhookRequest, names: StandardWebhooksHeaders, keys: readonly Buffer[], now: Date): void {
  const id = requireHeader(request, names.id);
  const timestamp = requireHeader(request, names.timestamp);
  const signatures = requireHeader(request, names.signature);
  requireFreshTimestamp(names.timestamp, timestamp, now, 5 * 60);
  const received = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  if (received.length === 0) throw new WebhookRejection('unsigned', `${names.signature} has no v1 signature`);
  verifyHmac({ algorithm: 'sha256', keys, message: Buffer.concat([Buffer.from(`${id}.${timestamp}.`), request.body]), received, header: names.signature });
}

/** A base64 secret (optionally `whsec_`-prefixed) → its HMAC key bytes. */
export function base64Key(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) throw new Error('a configured webhook secret is not base64');
  return key;
}

/** HMAC of the concatenated parts: the signing side of `verifyHmac`, for sample deliveries. */
export const hmac = (algorithm: 'sha256' | 'sha512', key: Buffer, ...parts: Array<string | Buffer>): Buffer =>
  createHmac(algorithm, key).update(Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)))).digest();

/** Headers of a Standard Webhooks delivery signed with `key` (the inverse of `verifyStandardWebhook`). */
export function signStandardWebhook(names: StandardWebhooksHeaders, body: Buffer, key: Buffer, now: Date, id: string): Record<string, string> {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return { 'content-type': 'application/json', [names.id]: id, [names.timestamp]: timestamp, [names.signature]: `v1,${hmac('sha256', key, `${id}.${timestamp}.`, body).toString('base64')}` };
}
