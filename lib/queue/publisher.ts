import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, type BatchResultErrorEntry, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { laneOf } from './lanes.js';
import type { WorkerEventMessage } from './message.js';
import type { Lane } from './queues.js';

export interface EventPublisher {
  publish(messages: WorkerEventMessage[]): Promise<void>;
}

/**
 * SQS did not take every message, even after retries. Some may be queued: the sender must retry the
 * whole delivery, and the copies of those already queued are harmless (same deduplication ids
 * within SQS's five minutes; after that, the worker skips a delivery it has applied).
 */
export class PublishIncomplete extends Error {
  override readonly name = 'PublishIncomplete';
  constructor(
    readonly unsent: number,
    readonly total: number,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`SQS did not take ${unsent} of ${total} messages: ${detail}`, options);
  }
}

/** How long to keep re-sending what SQS failed; the ingest answers well within its 10 s timeout (cdk/lifecycle-stack.ts). */
export interface RetryBudget {
  budgetMs: number;
  /** The first wait; each later one doubles. */
  firstDelayMs: number;
}

const SQS_BATCH_SIZE = 10;

/**
 * SQS drops a FIFO message whose deduplication id it saw in the last five minutes. The id is what
 * the message says, apart from when it arrived: a retry of a delivery says the same things and is
 * dropped, while two changes of one worker in one delivery, or a reused delivery id with another
 * body, say different things and are both kept.
 */
function deduplicationId(message: WorkerEventMessage): string {
  const { receivedAt: _arrival, ...said } = message;
  return createHash('sha256').update(JSON.stringify(said)).digest('hex');
}

/**
 * JSON that SQS takes: it refuses characters outside #x9 #xA #xD #x20–#xD7FF #xE000–#xFFFD
 * #x10000–#x10FFFF (U+FFFE in an HR name made the whole delivery fail), and local emulators refuse
 * characters above U+FFFF. Both are written as JSON escapes, which the worker's JSON.parse reads
 * back as the same text.
 */
export function sqsSafeJson(value: unknown): string {
  // Without the u flag the pattern sees UTF-16 code units, so a character above U+FFFF is escaped as its surrogate pair.
  return JSON.stringify(value).replace(/[^\t\n\r\x20-\ud7ff\ue000-\ufffd]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function entriesOf(messages: WorkerEventMessage[]): SendMessageBatchRequestEntry[] {
  return messages.map((message, index) => ({
    Id: String(index),
    MessageBody: sqsSafeJson(message),
    MessageGroupId: message.workerKey,
    MessageDeduplicationId: deduplicationId(message),
  }));
}

/** Sends worker events to their lane's FIFO queue: grouped by worker, deduplicated by content. */
export class SqsEventPublisher implements EventPublisher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrls: Record<Lane, string>,
    private readonly retry: RetryBudget = { budgetMs: 5_000, firstDelayMs: 50 },
  ) {}

  /** Every message, or a PublishIncomplete saying how many may be missing. */
  async publish(messages: WorkerEventMessage[]): Promise<void> {
    const deadline = Date.now() + this.retry.budgetMs;
    const byLane = new Map<Lane, WorkerEventMessage[]>();
    for (const message of messages) byLane.set(laneOf(message), [...(byLane.get(laneOf(message)) ?? []), message]);
    let sent = 0;
    for (const [lane, laneMessages] of byLane) {
      const entries = entriesOf(laneMessages);
      for (let start = 0; start < entries.length; start += SQS_BATCH_SIZE) {
        const batch = entries.slice(start, start + SQS_BATCH_SIZE);
        let refused: BatchResultErrorEntry[];
        try {
          refused = await this.sendBatch(this.queueUrls[lane], batch, deadline);
        } catch (error) {
          throw new PublishIncomplete(messages.length - sent, messages.length, (error as Error).message, { cause: error });
        }
        sent += batch.length - refused.length;
        if (refused.length > 0) throw new PublishIncomplete(messages.length - sent, messages.length, refused.map((failure) => `${failure.Code}: ${failure.Message ?? ''}`).join('; '));
      }
    }
  }

  /**
   * Sends one batch, re-sending the entries SQS failed for its own reasons (throttling, internal
   * errors) until the deadline; returns the failures left, none when all were sent. A re-sent
   * entry may reach its queue after a later one of its worker: the worker's staleness check orders
   * them (docs/design.md, decision 2).
   */
  private async sendBatch(queueUrl: string, batch: SendMessageBatchRequestEntry[], deadline: number): Promise<BatchResultErrorEntry[]> {
    let pending = batch;
    for (let delay = this.retry.firstDelayMs; ; delay *= 2) {
      const { Failed = [] } = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      // A sender fault (a message too large, characters SQS refuses) fails the same way every time.
      if (Failed.length === 0 || Failed.some((failure) => failure.SenderFault) || Date.now() + delay > deadline) return Failed;
      const failed = new Set(Failed.map((failure) => failure.Id));
      pending = pending.filter((entry) => failed.has(entry.Id));
      await sleep(delay);
    }
  }
}
