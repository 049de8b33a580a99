import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { laneOf } from './lanes.js';
import type { WorkerEventMessage } from './message.js';
import type { Lane } from './queues.js';

export interface EventPublisher {
  publish(messages: WorkerEventMessage[]): Promise<void>;
}

/** Sends worker events to their lane's FIFO queue: grouped by worker, deduplicated by delivery. */
export class SqsEventPublisher implements EventPublisher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrls: Record<Lane, string>,
  ) {}

  async publish(messages: WorkerEventMessage[]): Promise<void> {
    const byLane = new Map<Lane, WorkerEventMessage[]>();
    for (const message of messages) byLane.set(laneOf(message), [...(byLane.get(laneOf(message)) ?? []), message]);
    for (const [lane, laneMessages] of byLane) {
      for (let start = 0; start < laneMessages.length; start += 10) {
        const batch = laneMessages.slice(start, start + 10);
        const result = await this.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrls[lane],
            Entries: batch.map((message, index) => ({
              Id: String(index),
              MessageBody: JSON.stringify(message),
              MessageGroupId: message.workerKey,
              // A provider's retry of one delivery is dropped by SQS within its 5-minute window.
              MessageDeduplicationId: createHash('sha256').update(`${message.provider}\n${message.deliveryId}\n${message.workerKey}`).digest('hex'),
            })),
          }),
        );
        if (result.Failed && result.Failed.length > 0) {
          throw new Error(`SQS refused ${result.Failed.length} of ${batch.length} messages: ${result.Failed.map((failure) => failure.Message ?? failure.Code).join('; ')}`);
        }
      }
    }
  }
}
