import type { HrisProvider, ProviderSettings, WebhookRequest } from '../hris/provider.js';
import { WebhookRejection } from '../hris/provider.js';
import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import type { EnqueueOnce } from '../queue/enqueue-once.js';
import type { WorkerEventMessage } from '../queue/message.js';

/** SQS takes at most 256 KiB per message; a larger delivery could never be enqueued. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface IngestDependencies {
  providers: ReadonlyMap<string, HrisProvider>;
  providerSettings: ProviderSettings;
  /**
   * The provider's current webhook secrets (two during a rotation). `refresh` asks for a fresh
   * read, past any cache; it may be refused (answered from the cache) to bound the reads.
   */
  secretsFor(provider: HrisProvider, options?: { refresh?: boolean }): Promise<string[]>;
  enqueueOnce: EnqueueOnce;
  now(): Date;
}

export interface IngestResponse {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Verify → normalize → enqueue. Answers 202 only once SQS holds every event; any refusal
 * (4xx) happens before anything is enqueued. A replay of an accepted delivery is answered 200
 * `duplicate` and enqueues nothing: a 4xx would make Standard Webhooks senders retry for days
 * and finally disable the endpoint, which would stop offboarding.
 */
/** Verifies with the cached secrets; on a mismatch, once more with freshly read ones, so a rotated secret needs no redeploy. */
async function verifyWithRotation(provider: HrisProvider, request: WebhookRequest, now: Date, deps: IngestDependencies): Promise<void> {
  try {
    provider.verify(request, await deps.secretsFor(provider), now, deps.providerSettings);
  } catch (error) {
    if (!(error instanceof WebhookRejection) || !/does not match/.test(error.message)) throw error;
    provider.verify(request, await deps.secretsFor(provider, { refresh: true }), now, deps.providerSettings);
  }
}

export async function receiveWebhook(providerName: string, request: WebhookRequest, deps: IngestDependencies): Promise<IngestResponse> {
  try {
    const provider = deps.providers.get(providerName);
    if (!provider) throw new WebhookRejection(404, `no provider "${providerName}" is enabled; enabled: ${[...deps.providers.keys()].join(', ') || 'none'}`);
    if (request.body.length > MAX_BODY_BYTES) throw new WebhookRejection(413, `body is ${request.body.length} bytes; the limit is ${MAX_BODY_BYTES}`);

    // A setup handshake (HiBob's ping) is answered without enqueuing anything.
    if (provider.isHandshake?.(request)) return { status: 200, body: { accepted: 0, handshake: true } };

    const now = deps.now();
    await verifyWithRotation(provider, request, now, deps);
    const events = provider.parse(request, deps.providerSettings);
    // A verified event about no worker (e.g. a payroll or account event) is acknowledged and dropped.
    if (events.length === 0) return { status: 200, body: { accepted: 0 } };

    const receivedAt = now.toISOString();
    const messages: WorkerEventMessage[] = events.map((event) => ({ version: 1, provider: provider.name, receivedAt, ...event }));
    const deliveryId = messages[0]!.deliveryId;
    const { duplicate } = await deps.enqueueOnce(`${provider.name}:${deliveryId}`, messages);
    if (duplicate) return { status: 200, body: { accepted: 0, duplicate: true, deliveryId } };
    return { status: 202, body: { accepted: messages.length, deliveryId } };
  } catch (error) {
    if (error instanceof WebhookRejection) return { status: error.status, body: { error: error.message } };
    if (error instanceof IdempotencyAlreadyInProgressError) return { status: 409, body: { error: 'this delivery is being accepted right now; retry in a few seconds' } };
    throw error;
  }
}
