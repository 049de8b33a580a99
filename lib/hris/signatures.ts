import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookRejection, type WebhookRequest } from './provider.js';

/** Constant-time comparison of two signatures, as bytes. */
export function signaturesEqual(expected: Buffer, received: Buffer): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}

export function requireHeader(request: WebhookRequest, name: string): string {
  const value = request.headers[name]?.trim();
  if (!value) throw new WebhookRejection(401, `missing ${name} header`);
  return value;
}

export interface StandardWebhooksHeaders {
  id: string;
  timestamp: string;
  signature: string;
}

const TOLERANCE_SECONDS = 5 * 60;

/**
 * Standard Webhooks (hris/webhooks.md §3.5): HMAC-SHA256 over `id.timestamp.body`, base64,
 * `v1,`-prefixed, several space-separated signatures allowed (secret rotation), and the
 * timestamp within five minutes of now. `keys` are the HMAC keys (already decoded).
 */
export function verifyStandardWebhook(request: WebhookRequest, names: StandardWebhooksHeaders, keys: readonly Buffer[], now: Date): void {
  const id = requireHeader(request, names.id);
  const timestamp = requireHeader(request, names.timestamp);
  const signatures = requireHeader(request, names.signature);

  if (!/^\d+$/.test(timestamp)) throw new WebhookRejection(401, `${names.timestamp} must be Unix seconds`);
  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (skew > TOLERANCE_SECONDS) throw new WebhookRejection(401, `${names.timestamp} is ${Math.round(skew)} s from now; deliveries older or newer than ${TOLERANCE_SECONDS} s are refused`);

  const received = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  if (received.length === 0) throw new WebhookRejection(401, `${names.signature} has no v1 signature`);

  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), request.body]);
  for (const key of keys) {
    const expected = createHmac('sha256', key).update(signed).digest();
    if (received.some((signature) => signaturesEqual(expected, signature))) return;
  }
  throw new WebhookRejection(401, `${names.signature} does not match the body: wrong secret, or the body was changed`);
}
