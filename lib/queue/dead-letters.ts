import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { WorkerEventMessageSchema } from './message.js';

export interface DeadLetter {
  messageId: string;
  workerKey: string | null;
  deliveryId: string | null;
  eventType: string | null;
  provider: string | null;
  receiveCount: number;
  /** Why it could not be read, if the body is not a worker event. */
  unreadable: string | null;
}

const MAX = 1000;

function describe(message: Message): DeadLetter {
  const parsed = WorkerEventMessageSchema.safeParse((() => {
    try {
      return JSON.parse(message.Body ?? '');
    } catch {
      return null;
    }
  })());
  return {
    messageId: message.MessageId!,
    workerKey: parsed.success ? parsed.data.workerKey : (message.Attributes?.MessageGroupId ?? null),
    deliveryId: parsed.success ? parsed.data.deliveryId : null,
    eventType: parsed.success ? parsed.data.eventType : null,
    provider: parsed.success ? parsed.data.provider : null,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    unreadable: parsed.success ? null : 'not a worker event message',
  };
}

/**
 * What waits in a dead-letter queue. Messages are received and made visible again at once; a FIFO
 * queue hands out one message per worker at a time, so a worker's later messages show after its
 * first is redriven.
 */
export async function listDeadLetters(sqs: SQSClient, queueUrl: string): Promise<DeadLetter[]> {
  const seen: Message[] = [];
  while (seen.length < MAX) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }));
    if (!Messages || Messages.length === 0) break;
    seen.push(...Messages);
  }
  for (const message of seen) await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
  return seen.map(describe);
}

/**
 * Moves the dead letters `select` picks (default: all) back to their lane, in order per worker; the
 * others are made visible again at once. Safe: each event is re-decided from the newest record.
 */
export async function redriveDeadLetters(sqs: SQSClient, deadLetterUrl: string, queueUrl: string, now: Date, select: (letter: DeadLetter) => boolean = () => true): Promise<DeadLetter[]> {
  const moved: DeadLetter[] = [];
  const left: Message[] = [];
  try {
    while (moved.length + left.length < MAX) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: deadLetterUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }));
      if (!Messages || Messages.length === 0) break;
      for (const message of Messages) {
        const letter = describe(message);
        if (!select(letter)) {
          left.push(message);
          continue;
        }
        const groupId = message.Attributes?.MessageGroupId ?? 'unknown';
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message.Body, MessageGroupId: groupId, MessageDeduplicationId: `redrive-${message.MessageId}-${now.getTime()}` }));
        await sqs.send(new DeleteMessageCommand({ QueueUrl: deadLetterUrl, ReceiptHandle: message.ReceiptHandle }));
        moved.push(letter);
      }
    }
  } finally {
    for (const message of left) await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: deadLetterUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
  }
  return moved;
}
