import * as z from '../../vocabulary/zod.js';
import { parseJsonBody } from '../parse-json.js';
import { defineSource } from '../source.js';
import { base64Key, signStandardWebhook, verifyStandardWebhook } from '../signatures.js';
import { WorkerRecordSchema } from '../../vocabulary/worker-record.js';

/**
 * The project's own normalized format (docs/reference/hris-webhooks.md §5), signed per Standard Webhooks. It is
 * what customers' middleware (Workato, Zapier, Okta Workflows, a script) posts for any HR system
 * without a native provider, and it always carries the full worker record.
 */
const GenericEventSchema = z.object({
  type: z.enum(['worker.hired', 'worker.updated', 'worker.terminated']),
  timestamp: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 date-time' }),
  data: z.object({ worker: WorkerRecordSchema }),
});

const headers = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' };

export const genericSource = defineSource({
  name: 'generic',
  settings: z.strictObject({ enabled: z._default(z.boolean(), true) }),
  secretEnvVar: 'GENERIC_WEBHOOK_SECRET',
  localSecret: `whsec_${Buffer.from('local-development-only-generic-secret').toString('base64')}`,

  verify(request, secrets, now) {
    verifyStandardWebhook(request, headers, secrets.map(base64Key), now);
  },

  parse(request) {
    const event = parseJsonBody(request.body, GenericEventSchema);
    const worker = event.data.worker;
    return [{ workerKey: worker.externalId, deliveryId: request.headers['webhook-id']!, eventType: event.type, occurredAt: event.timestamp, subject: { kind: 'record', worker } }];
  },

  sign(body, secret, now, deliveryId) {
    return signStandardWebhook(headers, body, base64Key(secret), now, deliveryId);
  },
});
