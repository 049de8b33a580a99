import { IdempotencyAlreadyInProgressError } from '@aws-lambda-powertools/idempotency';
import { WebhookRejection, type Source, type SourceSettings, type WebhookRequest } from '../sources/source.js';
import type { EnqueueOnce } from '../queue/enqueue-once.js';
import type { WorkerEventMessage } from '../queue/message.js';

/** SQS takes at most 256 KiB per message; a larger delivery could never be enqueued. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface IngestDependencies {
  /** The enabled sources by route name, each with its own settings. */
  sources: ReadonlyMap<string, { source: Source; settings: SourceSettings }>;
  /**
   * The provider's current webhook secrets (two during a rotation). `refresh` asks for a fresh
   * read, past any cache; it may be refused (answered from the cache) to bound the reads.
   */
  secretsFor(source: Source, options?: { refresh?: boolean }): Promise<string[]>;
  enqueueOnce: EnqueueOnce;
  now(): Date;
}

export interface IngestResponse {
  status: number;
  body: Record<string, unknown>;
}

/** Verifies with the cached secrets; on a mismatch, once more with freshly read ones, so a rotated secret needs no redeploy. */
async function verifyWithRotation(source: Source, settings: SourceSettings, request: WebhookRequest, now: Date, deps: IngestDependencies): Promise<void> {
  try {
    source.verify(request, await deps.secretsFor(source), now, settings);
  } catch (error) {
    if (!(error instanceof WebhookRejection) || error.reason !== 'signature-mismatch') throw error;
    source.verify(request, await deps.secretsFor(source, { refresh: true }), now, settings);
  }
}

/**
 * Verify → normalize → enqueue. Answers 202 only once SQS holds every event; any refusal
 * (4xx) happens before anything is enqueued. A replay of an accepted delivery is answered 200
 * `duplicate` and enqueues nothing: a 4xx would make Standard Webhooks senders retry for days
 * and finally disable the endpoint, which would stop offboarding.
 */
export async function receiveWebhook(providerName: string, request: WebhookRequest, deps: IngestDependencies): Promise<IngestResponse> {
  try {
    const enabled = deps.sources.get(providerName);
    if (!enabled) throw new WebhookRejection('unknown-source', `no provider "${providerName}" is enabled; enabled: ${[...deps.sources.keys()].join(', ') || 'none'}`);
    const { source, settings } = enabled;
    if (request.body.length > MAX_BODY_BYTES) throw new WebhookRejection('too-large', `body is ${request.body.length} bytes; the limit is ${MAX_BODY_BYTES}`);

    // A setup handshake (HiBob's ping) is answered without enqueuing anything.
    if (source.isHandshake?.(request)) return { status: 200, body: { accepted: 0, handshake: true } };

    const now = deps.now();
    await verifyWithRotation(source, settings, request, now, deps);
    const events = source.parse(request, settings);
    // A verified event about no worker (e.g. a payroll or account event) is acknowledged and dropped.
    if (events.length === 0) return { status: 200, body: { accepted: 0 } };

    const receivedAt = now.toISOString();
    const messages: WorkerEventMessage[] = events.map((event) => ({ version: 1, provider: source.name, receivedAt, ...event }));
    const deliveryId = messages[0]!.deliveryId;
    const { duplicate } = await deps.enqueueOnce(`${source.name}:${deliveryId}`, messages);
    if (duplicate) return { status: 200, body: { accepted: 0, duplicate: true, deliveryId } };
    return { status: 202, body: { accepted: messages.length, deliveryId } };
  } catch (error) {
    if (error instanceof WebhookRejection) return { status: error.status, body: { error: error.message } };
    if (error instanceof IdempotencyAlreadyInProgressError) return { status: 409, body: { error: 'this delivery is being accepted right now; retry in a few seconds' } };
    throw error;
  }
}
