import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Messages waiting or in flight in the given queues (SQS's approximate counts). */
export async function queueDepth(sqs: SQSClient, queueUrls: readonly string[]): Promise<number> {
  let depth = 0;
  for (const QueueUrl of queueUrls) {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    depth += Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }
  return depth;
}
