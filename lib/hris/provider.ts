import type { WorkerRecord } from './worker-record.js';

/** A webhook delivery as it arrived: header names lower-cased, the body as the exact bytes. */
export interface WebhookRequest {
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
}

/** One worker change a delivery reports. */
export interface ProviderEvent {
  deliveryId: string;
  eventType: string;
  occurredAt: string;
  worker: WorkerRecord;
}

/** The answer to a delivery we refuse: an HTTP status and a message that names what is wrong. */
export class WebhookRejection extends Error {
  override readonly name = 'WebhookRejection';
  constructor(
    readonly status: 400 | 401 | 404 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One HR system. Adding a provider is one more file that implements this and one line in the
 * registry (as Directory Connector has one service per directory source).
 */
export interface HrisProvider {
  /** The route segment: `POST /webhooks/{name}`. */
  readonly name: string;
  /** The environment variable holding its webhook secret(s); `<NAME>_ARN` points at Secrets Manager instead. */
  readonly secretEnvVar: string;
  /** Throws a 401 WebhookRejection unless one of `secrets` signed this exact delivery within the allowed window. */
  verify(request: WebhookRequest, secrets: readonly string[], now: Date): void;
  /** The worker changes in a verified delivery; throws a 400 WebhookRejection naming the bad field. */
  parse(request: WebhookRequest): ProviderEvent[];
}
