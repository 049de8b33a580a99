import type { HrisProvider, ProviderSettings, WebhookRequest } from '../hris/provider.js';
import { WebhookRejection } from '../hris/provider.js';
import type { EventPublisher } from '../queue/publisher.js';
import type { WorkerEventMessage } from '../queue/message.js';

/** SQS takes at most 256 KiB per message; a larger delivery could never be enqueued. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface IngestDependencies {
  providers: ReadonlyMap<string, HrisProvider>;
  providerSettings: ProviderSettings;
  /** The provider's current webhook secrets (two during a rotation). */
  secretsFor(provider: HrisProvider): Promise<string[]>;
  publisher: EventPublisher;
  now(): Date;
}

export interface IngestResponse {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Verify → normalize → enqueue. Answers 202 only once SQS holds every event; any refusal
 * (4xx) happens before anything is enqueued.
 */
export async function receiveWebhook(providerName: string, request: WebhookRequest, deps: IngestDependencies): Promise<IngestResponse> {
  try {
    const provider = deps.providers.get(providerName);
    if (!provider) throw new WebhookRejection(404, `no provider "${providerName}" is enabled; enabled: ${[...deps.providers.keys()].join(', ') || 'none'}`);
    if (request.body.length > MAX_BODY_BYTES) throw new WebhookRejection(413, `body is ${request.body.length} bytes; the limit is ${MAX_BODY_BYTES}`);

    // A setup handshake (HiBob's ping) is answered without enqueuing anything.
    if (provider.isHandshake?.(request)) return { status: 200, body: { accepted: 0, handshake: true } };

    const secrets = await deps.secretsFor(provider);
    const now = deps.now();
    provider.verify(request, secrets, now, deps.providerSettings);
    const events = provider.parse(request, deps.providerSettings);
    // A verified event about no worker (e.g. a payroll or account event) is acknowledged and dropped.
    if (events.length === 0) return { status: 200, body: { accepted: 0 } };

    const receivedAt = now.toISOString();
    const messages: WorkerEventMessage[] = events.map((event) => ({ version: 1, provider: provider.name, receivedAt, ...event }));
    await deps.publisher.publish(messages);
    return { status: 202, body: { accepted: messages.length, deliveryIds: [...new Set(messages.map((message) => message.deliveryId))] } };
  } catch (error) {
    if (error instanceof WebhookRejection) return { status: error.status, body: { error: error.message } };
    throw error;
  }
}
