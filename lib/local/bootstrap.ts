import { CreateTableCommand, DynamoDBClient, ResourceInUseException, type AttributeDefinition, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, type SQSClient, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { Queues, type Lane, type QueueDefinition } from '../queue/queues.js';
import { Tables, type TableDefinition } from '../store/tables.js';

/**
 * Creates the tables and queues the stack defines, in the local servers, from the same
 * definitions (lib/store/tables.ts, lib/queue/queues.ts). Returns the environment the handlers
 * read their names from. `prefix` keeps parallel runs apart.
 */
export async function createTables(dynamo: DynamoDBClient, prefix: string): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const definition of Object.values(Tables) as TableDefinition[]) {
    const TableName = `${prefix}-${definition.id}`;
    const keys: KeySchemaElement[] = [{ AttributeName: definition.partitionKey, KeyType: 'HASH' }];
    const attributes: AttributeDefinition[] = [{ AttributeName: definition.partitionKey, AttributeType: 'S' }];
    if (definition.sortKey) {
      keys.push({ AttributeName: definition.sortKey, KeyType: 'RANGE' });
      attributes.push({ AttributeName: definition.sortKey, AttributeType: 'S' });
    }
    for (const index of definition.indexes ?? []) {
      for (const name of [index.partitionKey, index.sortKey]) if (!attributes.some((attribute) => attribute.AttributeName === name)) attributes.push({ AttributeName: name, AttributeType: 'S' });
    }
    const GlobalSecondaryIndexes = definition.indexes?.map((index) => ({
      IndexName: index.name,
      KeySchema: [{ AttributeName: index.partitionKey, KeyType: 'HASH' as const }, { AttributeName: index.sortKey, KeyType: 'RANGE' as const }],
      Projection: { ProjectionType: 'KEYS_ONLY' as const },
    }));
    try {
      await dynamo.send(new CreateTableCommand({ TableName, KeySchema: keys, AttributeDefinitions: attributes, BillingMode: 'PAY_PER_REQUEST', GlobalSecondaryIndexes }));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    env[definition.envVar] = TableName;
  }
  return env;
}

export interface LocalQueue {
  url: string;
  deadLetterUrl: string;
  definition: QueueDefinition;
}

export async function createQueues(sqs: SQSClient, prefix: string, visibilityTimeoutSeconds?: number, maxReceiveCount?: number): Promise<{ env: Record<string, string>; queues: Record<Lane, LocalQueue> }> {
  const env: Record<string, string> = {};
  const queues = {} as Record<Lane, LocalQueue>;
  for (const [key, definition] of Object.entries(Queues) as Array<[Lane, QueueDefinition]>) {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-${definition.id}-dlq.fifo`, Attributes: { FifoQueue: 'true' } }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }));
    const main = await sqs.send(
      new CreateQueueCommand({
        QueueName: `${prefix}-${definition.id}.fifo`,
        Attributes: {
          FifoQueue: 'true',
          VisibilityTimeout: String(visibilityTimeoutSeconds ?? definition.visibilityTimeoutSeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: maxReceiveCount ?? definition.maxReceiveCount }),
        },
      }),
    );
    queues[key] = { url: main.QueueUrl!, deadLetterUrl: dlq.QueueUrl!, definition };
    env[definition.envVar] = main.QueueUrl!;
    env[definition.deadLetterEnvVar] = dlq.QueueUrl!;
  }
  return { env, queues };
}
