import { z } from 'zod';
import { parseJsonBody } from './parse-json.js';
import { WebhookRejection, type HrisProvider } from './provider.js';
import { verifyStandardWebhook } from './signatures.js';
import { WorkerRecordSchema } from './worker-record.js';

/**
 * The project's own normalized format (hris/webhooks.md §5), signed per Standard Webhooks. It is
 * what customers' middleware (Workato, Zapier, Okta Workflows, a script) posts for any HR system
 * without a native provider, and it always carries the full worker record.
 */
const GenericEventSchema = z.object({
  type: z.enum(['worker.hired', 'worker.updated', 'worker.terminated']),
  timestamp: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 date-time' }),
  data: z.object({
    worker: WorkerRecordSchema,
  }),
});

const headers = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' };

/** A `whsec_`-prefixed base64 secret → its HMAC key bytes. */
function keyOf(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new WebhookRejection(401, 'the configured webhook secret is not base64');
  return key;
}

export const genericProvider: HrisProvider = {
  name: 'generic',
  secretEnvVar: 'GENERIC_WEBHOOK_SECRET',

  verify(request, secrets, now) {
    verifyStandardWebhook(request, headers, secrets.map(keyOf), now);
  },

  parse(request) {
    const event = parseJsonBody(request.body, GenericEventSchema);
    return [{ deliveryId: request.headers['webhook-id']!, eventType: event.type, occurredAt: event.timestamp, worker: event.data.worker }];
  },
};
