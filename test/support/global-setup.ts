import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, startSqsEmulator } from '../../lib/local/services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    endpoints: { dynamodb: string; sqs: string };
  }
}

/** One DynamoDB Local and one SQS emulator for the whole run; each test file uses its own tables and queues. */
export default async function setup(project: TestProject) {
  const [dynamodb, sqs] = await Promise.all([startDynamoDbLocal(), startSqsEmulator()]);
  project.provide('endpoints', { dynamodb: dynamodb.endpoint, sqs: sqs.endpoint });
  return async () => {
    await Promise.all([dynamodb.stop(), sqs.stop()]);
  };
}
