import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { parse } from '@aws-lambda-powertools/parser';
import { JSONStringified } from '@aws-lambda-powertools/parser/helpers';
import { SqsRecordSchema } from '@aws-lambda-powertools/parser/schemas/sqs';
import { ChangeMessageVisibilityBatchCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { WorkerEventMessageSchema } from '../lib/queue/message.js';
import { sqsClient } from '../lib/runtime/aws.js';
import { syncDependencies } from '../lib/runtime/dependencies.js';
import { readEnvironment } from '../lib/runtime/env.js';
import { withPowertools } from '../lib/runtime/handler.js';
import { logger, Metric, metrics, MetricUnit } from '../lib/runtime/observability.js';
import { WorkerBusyError } from '../lib/store/worker-state.js';
import { applyWorkerEvent, type SyncDependencies } from '../lib/sync/apply-worker-event.js';

const RecordSchema = SqsRecordSchema.extend({ body: JSONStringified(WorkerEventMessageSchema) });

/**
 * How soon a message comes back when the other lane still held its worker after lease() waited:
 * seconds, where the queue's visibility timeout would take 180. The delay grows with each receive,
 * so that the queue's five receives (then the dead-letter queue) outlast the lease of a holder that
 * crashed (WORKER_LEASE_SECONDS, 60 s): 4 × 10 s of waiting plus 3 + 6 + 9 + 12 s.
 */
const BUSY_RETRY_SECONDS = 3;
const busyRetrySeconds = (record: SQSRecord) => BUSY_RETRY_SECONDS * Number(record.attributes.ApproximateReceiveCount);

/** Consumes the worker-events FIFO queue, reporting partial batch failures. */
export function createWorkerHandler(dependencies: () => SyncDependencies) {
  // Within a batch, a failed message fails the rest of its worker's messages (order holds) but not other workers'.
  const processor = new SqsFifoPartialProcessorAsync();
  let resolved: SyncDependencies | undefined;
  // The message groups (worker keys) of this invocation whose worker the other lane held.
  const busyGroups = new Set<string>();
  let sqs: SQSClient | undefined;
  const queueUrls = new Map<string, string>();

  async function processRecord(record: SQSRecord): Promise<void> {
    const { body: message } = parse(record, undefined, RecordSchema);
    resolved ??= dependencies();
    let result: Awaited<ReturnType<typeof applyWorkerEvent>>;
    try {
      result = await applyWorkerEvent(message, resolved);
    } catch (error) {
      if (error instanceof WorkerBusyError) busyGroups.add(record.attributes.MessageGroupId!);
      // The reason a message is retried, and after 5 receives dead-lettered: the runbook starts here.
      logger.error('worker event failed; SQS will retry it', { workerKey: message.workerKey, deliveryId: message.deliveryId, receiveCount: record.attributes.ApproximateReceiveCount, error });
      throw error;
    }
    metrics.addMetric(result.outcome === 'skipped' ? Metric.EventsSkipped : Metric.EventsApplied, MetricUnit.Count, 1);
    if (result.outcome === 'held') metrics.addMetric(Metric.RevocationsHeld, MetricUnit.Count, 1);
    for (const done of result.outcome === 'skipped' ? [] : result.executed) {
      metrics.addMetric(Metric.action(done.action.kind), MetricUnit.Count, 1);
      if (done.action.kind === 'revoke') metrics.addMetric(Metric.RevocationLatency, MetricUnit.Milliseconds, Date.now() - Date.parse(message.receivedAt));
    }
    // A roster read after the first changed Bitwarden: a change no webhook had delivered (docs/design.md, decision 11).
    if (message.eventType === 'roster.record' && result.outcome !== 'skipped' && result.executed.length > 0) {
      metrics.addMetric(Metric.rosterCorrections(message.provider), MetricUnit.Count, 1);
      metrics.addMetric(Metric.RosterCorrections, MetricUnit.Count, 1);
      logger.warn('a roster read found a change no webhook delivered', { workerKey: message.workerKey, source: message.provider, actions: result.executed.map((done) => done.action.kind) });
    }
    logger.info('worker event processed', {
      workerKey: message.workerKey,
      deliveryId: message.deliveryId,
      outcome: result.outcome,
      ...(result.outcome === 'skipped' ? { reason: result.reason } : { actions: result.plan.actions.map((action) => action.kind) }),
    });
  }

  async function processBatch(event: SQSEvent, context: Context) {
    busyGroups.clear();
    try {
      return await processPartialResponse(event, processRecord, processor, { context, skipGroupOnError: true });
    } finally {
      // The busy record and the ones after it in its group failed: FIFO holds the group until they all come back.
      await retrySoon((processor.failureMessages as SQSRecord[]).filter((record) => busyGroups.has(record.attributes.MessageGroupId!)));
    }
  }

  /** Makes busy records visible again after busyRetrySeconds; should that fail, they come back after the visibility timeout. */
  async function retrySoon(records: SQSRecord[]): Promise<void> {
    if (records.length === 0) return;
    sqs ??= sqsClient();
    try {
      // One event source mapping reads one queue: every record of a batch names the same. Entries that
      // fail name a message no longer in flight: it is visible already.
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: await queueUrl(sqs, records[0]!.eventSourceARN),
          Entries: records.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle, VisibilityTimeout: busyRetrySeconds(record) })),
        }),
      );
    } catch (error) {
      logger.warn('busy messages come back after the visibility timeout instead', { error });
    }
  }

  /** The queue a record came from: the event names only its ARN (arn:aws:sqs:<region>:<account>:<name>). */
  async function queueUrl(sqs: SQSClient, queueArn: string): Promise<string> {
    const [, , , , account, name] = queueArn.split(':');
    if (!queueUrls.has(queueArn)) queueUrls.set(queueArn, (await sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }))).QueueUrl!);
    return queueUrls.get(queueArn)!;
  }

  return withPowertools(processBatch, { coldStartMetric: true });
}

export const handler = createWorkerHandler(() => syncDependencies(readEnvironment()));
