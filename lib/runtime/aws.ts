import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Environment } from './env.js';

/**
 * Every AWS client, built here. Endpoints come from the standard AWS_ENDPOINT_URL_* variables,
 * which is how the local runtime points them at DynamoDB Local and the SQS emulator.
 */
export function dynamoClient(): DynamoDBClient {
  return new DynamoDBClient({});
}

export function documentClient(client: DynamoDBClient = dynamoClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function sqsClient(): SQSClient {
  // The emulator's queue URLs name a host (sqs.<region>.localhost) that does not resolve; always use the endpoint.
  return new SQSClient({ useQueueUrlAsEndpoint: false });
}

/**
 * S3, its SDK loaded when a client is asked for, not with the bundle: only roster files and the
 * rules deployment read objects, and the S3 SDK takes about as long to import as the DynamoDB and
 * SQS ones together.
 */
export function s3Client(env: Environment): Pick<S3Client, 'send'> {
  // A local S3 endpoint has no per-bucket host names; address buckets by path there.
  const client = import('@aws-sdk/client-s3').then(({ S3Client }) => new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3) }));
  return { send: (async (command: Parameters<S3Client['send']>[0]) => (await client).send(command)) as S3Client['send'] };
}

/** SNS, its SDK loaded at the first call (lib/notify/sns.ts): only notifications publish. */
export function snsClient(): Pick<SNSClient, 'send'> {
  const client = import('@aws-sdk/client-sns').then(({ SNSClient }) => new SNSClient({}));
  return { send: (async (command: Parameters<SNSClient['send']>[0]) => (await client).send(command)) as SNSClient['send'] };
}

/** The bytes at `s3://bucket/key`, or at a local path (the CLI and `npm start`). */
export async function readObject(env: Environment, location: string): Promise<Buffer> {
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!s3) return readFile(location);
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const object = await s3Client(env).send(new GetObjectCommand({ Bucket: s3[1], Key: s3[2] }));
  return Buffer.from(await object.Body!.transformToByteArray());
}
