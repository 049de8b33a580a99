import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * AWS clients. Endpoints come from the standard AWS_ENDPOINT_URL_* variables, which is how the
 * local runtime points them at DynamoDB Local and the SQS emulator.
 */
export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
}

export function sqsClient(): SQSClient {
  // The emulator's queue URLs name a host (sqs.<region>.localhost) that does not resolve; always use the endpoint.
  return new SQSClient({ useQueueUrlAsEndpoint: false });
}
