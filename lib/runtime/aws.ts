import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readFile } from 'node:fs/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Environment } from './env.js';
import { tracer } from './observability.js';

/**
 * Every AWS client, built here and traced. Endpoints come from the standard AWS_ENDPOINT_URL_*
 * variables, which is how the local runtime points them at DynamoDB Local and the SQS emulator.
 */
export function dynamoClient(): DynamoDBClient {
  return tracer.captureAWSv3Client(new DynamoDBClient({}));
}

export function documentClient(client: DynamoDBClient = dynamoClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function sqsClient(): SQSClient {
  // The emulator's queue URLs name a host (sqs.<region>.localhost) that does not resolve; always use the endpoint.
  return tracer.captureAWSv3Client(new SQSClient({ useQueueUrlAsEndpoint: false }));
}

export function s3Client(env: Environment): S3Client {
  // A local S3 endpoint has no per-bucket host names; address buckets by path there.
  return tracer.captureAWSv3Client(new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3) }));
}

/** The bytes at `s3://bucket/key`, or at a local path (the CLI and `npm start`). */
export async function readObject(env: Environment, location: string): Promise<Buffer> {
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!s3) return readFile(location);
  const object = await s3Client(env).send(new GetObjectCommand({ Bucket: s3[1], Key: s3[2] }));
  return Buffer.from(await object.Body!.transformToByteArray());
}
