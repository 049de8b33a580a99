import { createHash } from 'node:crypto';
import type { WebhookSources } from '../sources/webhook-sources.js';
import { WebhookRejection, type Source, type SourceSettings, type WebhookRequest } from '../sources/source.js';
import type { EnqueueOnce } from '../queue/enqueue-once.js';
import type { WorkerEventMessage } from '../queue/message.js';
import { PublishIncomplete } from '../queue/publisher.js';
import type { WorkerChange } from '../vocabulary/worker-change.js';

/** SQS takes at most 256 KiB per message; a larger delivery could never be enqueued. */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * The most worker changes one delivery may carry (README, "HR providers"). A mass delete of
 * thousands of records in one signed POST would otherwise fill the urgent lane and delay real
 * terminations behind it.
 */
export const MAX_CHANGES_PER_DELIVERY = 100;

/** What SQS takes as a MessageGroupId: 1 to 128 printable ASCII characters. */
const QUEUE_GROUP_ID = /^[\x21-\x7e]{1,128}$/;

/** Refuses a change whose worker key could not group its queue messages or would be a dot segment in a source's API path. */
function requireUsableWorkerKeys(changes: readonly WorkerChange[]): void {
  changes.forEach(({ workerKey }, index) => {
    if (!QUEUE_GROUP_ID.test(workerKey) || workerKey === '.' || workerKey === '..') {
      throw new WebhookRejection('malformed', `worker key of change ${index + 1} (${JSON.stringify(workerKey)}): must be 1 to 128 printable ASCII characters without spaces, and not "." or ".."`);
    }
  });
}

/**
 * A delivery is its delivery id and its body: a sender that reuses an id for another body (a
 * Standard Webhooks id is only the sender's word) sends a new delivery, not a replay.
 */
const deliveryKey = (source: Source, deliveryId: string, body: Buffer) => `${source.name}:${deliveryId}:${createHash('sha256').update(body).digest('hex')}`;

export interface IngestDependencies {
  /** The enabled sources a webhook's path may name, each with its own settings. */
  sources: WebhookSources;
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
 * (4xx) happens before anything is enqueued; 503 when SQS did not take every event (the sender
 * retries, and nothing was remembered as accepted). A replay of an accepted delivery is answered 200
 * `duplicate` and enqueues nothing: a 4xx would make Standard Webhooks senders retry for days
 * and finally disable the endpoint, which would stop offboarding.
 */
export async function receiveWebhook(providerName: string, request: WebhookRequest, deps: IngestDependencies): Promise<IngestResponse> {
  try {
    const enabled = await deps.sources.find(providerName);
    if (!enabled) throw new WebhookRejection('unknown-source', `no provider "${providerName}" is enabled; enabled: ${(await deps.sources.names()).join(', ') || 'none'}`);
    const { source, settings } = enabled;
    if (request.body.length > MAX_BODY_BYTES) throw new WebhookRejection('too-large', `body is ${request.body.length} bytes; the limit is ${MAX_BODY_BYTES}`);

    // A setup handshake (HiBob's ping) is answered without enqueuing anything.
    if (source.isHandshake?.(request)) return { status: 200, body: { accepted: 0, handshake: true } };

    const now = deps.now();
    await verifyWithRotation(source, settings, request, now, deps);
    const events = source.parse(request, settings);
    // A verified event about no worker (e.g. a payroll or account event) is acknowledged and dropped.
    if (events.length === 0) return { status: 200, body: { accepted: 0 } };
    if (events.length > MAX_CHANGES_PER_DELIVERY) throw new WebhookRejection('too-large', `the delivery carries ${events.length} worker changes; the limit is ${MAX_CHANGES_PER_DELIVERY}`);
    requireUsableWorkerKeys(events);

    const receivedAt = now.toISOString();
    const messages: WorkerEventMessage[] = events.map((event) => ({ version: 1, provider: source.name, receivedAt, ...event }));
    const deliveryId = messages[0]!.deliveryId;
    const { duplicate } = await deps.enqueueOnce(deliveryKey(source, deliveryId, request.body), messages);
    if (duplicate) return { status: 200, body: { accepted: 0, duplicate: true, deliveryId } };
    return { status: 202, body: { accepted: messages.length, deliveryId } };
  } catch (error) {
    if (error instanceof WebhookRejection) return { status: error.status, body: { error: error.message } };
    // Some events may be queued: the sender's retry sends them all again, and the copies are dropped (see PublishIncomplete).
    if (error instanceof PublishIncomplete) return { status: 503, body: { error: `${error.unsent} of ${error.total} events could not be queued; retry the whole delivery later` } };
    throw error;
  }
}
