import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WorkerEventMessage } from './message.js';
import type { EventPublisher } from './publisher.js';

/** Puts a delivery's events on the queue once; a replay of the same delivery enqueues nothing. */
export type EnqueueOnce = (deliveryKey: string, messages: WorkerEventMessage[]) => Promise<{ duplicate: boolean }>;

/** Longer than any provider's retry schedule (Standard Webhooks retry for about 3 days). */
const REMEMBERED_SECONDS = 7 * 24 * 3600;

/**
 * Senders retry a delivery whose answer they missed, Merge sends some twice on purpose, and a
 * captured request can be replayed. SQS drops a repeat only within five minutes, so accepted
 * deliveries are remembered (keyed by the caller's delivery key: provider, delivery id and body)
 * for a week: one conditional write per delivery, made before the publish, so of two copies
 * arriving at once only one publishes. A publish that throws (PublishIncomplete) takes its record
 * back, so the sender's retry publishes everything again.
 */
export function enqueueOnce(publisher: EventPublisher, db: DynamoDBDocumentClient, tableName: string, clock: () => number = Date.now): EnqueueOnce {
  return async (deliveryKey, messages) => {
    const nowSeconds = Math.floor(clock() / 1000);
    try {
      await db.send(
        new PutCommand({
          TableName: tableName,
          Item: { id: deliveryKey, expiration: nowSeconds + REMEMBERED_SECONDS },
          // DynamoDB deletes expired items some time after they expire: an expired one is no longer a duplicate.
          ConditionExpression: 'attribute_not_exists(id) OR expiration <= :now',
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { duplicate: true };
      throw error;
    }
    try {
      await publisher.publish(messages);
    } catch (error) {
      await db.send(new DeleteCommand({ TableName: tableName, Key: { id: deliveryKey } }));
      throw error;
    }
    return { duplicate: false };
  };
}
