import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface FifoBatchResult extends SQSBatchResponse {
  /** The records that failed, and after a failure the rest of its group: they come back to the queue. */
  failed: SQSRecord[];
}

/**
 * Processes a FIFO batch one message group at a time within a group, and the groups side by side.
 * Order matters only within a group (one worker); a batch of ten workers' events waits for the
 * slowest one, not for the sum of them, which is both the throughput of a wave and the Lambda
 * duration billed per event. Within a group, Powertools' FIFO processor keeps the order and fails
 * the rest of the group after a failure.
 */
export async function processFifoBatch(event: SQSEvent, handle: (record: SQSRecord) => Promise<void>, context: Context): Promise<FifoBatchResult> {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of event.Records) {
    const group = record.attributes.MessageGroupId ?? record.messageId;
    groups.set(group, [...(groups.get(group) ?? []), record]);
  }
  const results = await Promise.all(
    [...groups.values()].map(async (records) => {
      const processor = new SqsFifoPartialProcessorAsync();
      // A group whose every record failed is still a partial answer for the batch: no exception for it.
      const response = await processPartialResponse({ Records: records }, handle, processor, { context, throwOnFullBatchFailure: false });
      return { response, failed: processor.failureMessages as SQSRecord[] };
    }),
  );
  return { batchItemFailures: results.flatMap(({ response }) => response.batchItemFailures), failed: results.flatMap(({ failed }) => failed) };
}
