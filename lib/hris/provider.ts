import type { LifecycleConfig } from '../config/schema.js';
import type { Subject } from '../queue/message.js';
import type { WorkerRecord } from './worker-record.js';

/** A webhook delivery as it arrived: header names lower-cased, the body as the exact bytes. */
export interface WebhookRequest {
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
}

/** One worker change a delivery reports. */
export interface ProviderEvent {
  workerKey: string;
  deliveryId: string;
  eventType: string;
  occurredAt: string;
  subject: Subject;
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

export type ProviderSettings = LifecycleConfig['providers'];

/** How a provider reads a worker from its API: where, and with which credentials. */
export interface FetchContext {
  apiUrl: string;
  /** The provider's API credentials, in the provider's documented form (see README). */
  credentials: string;
  settings: ProviderSettings;
}

/** The provider's API answered that the worker does not exist (any more). */
export const WORKER_GONE = null;

/**
 * One HR system. Adding a provider is one more file that implements this and one line in the
 * registry (as Directory Connector has one service per directory source).
 */
export interface HrisProvider {
  /** The route segment: `POST /webhooks/{name}`, and the config key under `providers`. */
  readonly name: string;
  /** The environment variable holding its webhook secret(s); `<NAME>_ARN` points at Secrets Manager instead. */
  readonly secretEnvVar: string;
  /** A setup handshake (e.g. HiBob's ping) to answer 200 without verifying or enqueuing. */
  isHandshake?(request: WebhookRequest): boolean;
  /** Throws a 401 WebhookRejection unless one of `secrets` signed this exact delivery within the allowed window. */
  verify(request: WebhookRequest, secrets: readonly string[], now: Date, settings: ProviderSettings): void;
  /** The worker changes in a verified delivery (none for events that concern no worker); a 400 WebhookRejection names a bad field. */
  parse(request: WebhookRequest, settings: ProviderSettings): ProviderEvent[];
  /** For thin events: the worker's current record from the provider's API, or WORKER_GONE on 404. */
  fetchWorker?(workerKey: string, context: FetchContext): Promise<WorkerRecord | null>;
}
