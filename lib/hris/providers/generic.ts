import { z } from 'zod';
import { parseJsonBody } from '../parse-json.js';
import type { HrisProvider } from '../provider.js';
import { base64Key, verifyStandardWebhook } from '../signatures.js';
import { WorkerRecordSchema } from '../worker-record.js';

/**
 * The project's own normalized format (hris/webhooks.md §5), signed per Standard Webhooks. It is
 * what customers' middleware (Workato, Zapier, Okta Workflows, a script) posts for any HR system
 * without a native provider, and it always carries the full worker record.
 */
const GenericEventSchema = z.object({
  type: z.enum(['worker.hired', 'worker.updated', 'worker.terminated']),
  timestamp: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 date-time' }),
  data: z.object({ worker: WorkerRecordSchema }),
});

const headers = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' };

export const genericProvider: HrisProvider = {
  name: 'generic',
  secretEnvVar: 'GENERIC_WEBHOOK_SECRET',

  verify(request, secrets, now) {
    verifyStandardWebhook(request, headers, secrets.map(base64Key), now);
  },

  parse(request) {
    const event = parseJsonBody(request.body, GenericEventSchema);
    const worker = event.data.worker;
    return [{ workerKey: worker.externalId, deliveryId: request.headers['webhook-id']!, eventType: event.type, occurredAt: event.timestamp, subject: { kind: 'record', worker } }];
  },
};
