import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { WorkerEventMessage } from './message.js';
import type { EventPublisher } from './publisher.js';

/** Puts a delivery's events on the queue once; a replay of the same delivery enqueues nothing. */
export interface EnqueueOnce {
  (deliveryKey: string, messages: WorkerEventMessage[]): Promise<{ duplicate: boolean }>;
  /** Lets an interrupted acceptance expire with the Lambda's deadline rather than the default hour. */
  registerLambdaContext(context: Context): void;
}

/**
 * Senders retry a delivery whose answer they missed, Merge sends some twice on purpose, and a
 * captured request can be replayed. SQS drops a repeat only within five minutes, so accepted
 * deliveries are remembered (Powertools idempotency, keyed by the caller's delivery key: provider,
 * delivery id and body) for a week, longer than any provider's retry schedule (Standard Webhooks
 * retry for about 3 days). A publish that throws (PublishIncomplete) leaves no record, so the
 * sender's retry publishes everything again.
 */
export function enqueueOnce(publisher: EventPublisher, client: DynamoDBClient, tableName: string): EnqueueOnce {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'key',
    expiresAfterSeconds: 7 * 24 * 3600,
    // A replay gets the stored answer, marked as a duplicate.
    responseHook: () => ({ duplicate: true }),
  });
  const accept = makeIdempotent(
    async (input: { key: string; messages: WorkerEventMessage[] }) => {
      await publisher.publish(input.messages);
      return { duplicate: false };
    },
    {
      persistenceStore: new DynamoDBPersistenceLayer({ tableName, awsSdkV3Client: client }),
      config,
    },
  );
  return Object.assign((deliveryKey: string, messages: WorkerEventMessage[]) => accept({ key: deliveryKey, messages }), {
    registerLambdaContext: (context: Context) => config.registerLambdaContext(context),
  });
}
