import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { parse } from '@aws-lambda-powertools/parser';
import { JSONStringified } from '@aws-lambda-powertools/parser/helpers';
import { SqsRecordSchema } from '@aws-lambda-powertools/parser/schemas/sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { WorkerEventMessageSchema } from '../lib/queue/message.js';
import { syncDependencies } from '../lib/runtime/dependencies.js';
import { readEnvironment } from '../lib/runtime/env.js';
import { withPowertools } from '../lib/runtime/handler.js';
import { logger, Metric, metrics, MetricUnit } from '../lib/runtime/observability.js';
import { applyWorkerEvent, type SyncDependencies } from '../lib/sync/apply-worker-event.js';

const RecordSchema = SqsRecordSchema.extend({ body: JSONStringified(WorkerEventMessageSchema) });

/** Consumes the worker-events FIFO queue, reporting partial batch failures. */
export function createWorkerHandler(dependencies: () => SyncDependencies) {
  // Within a batch, a failed message fails the rest of its worker's messages (order holds) but not other workers'.
  const processor = new SqsFifoPartialProcessorAsync();
  let resolved: SyncDependencies | undefined;

  async function processRecord(record: SQSRecord): Promise<void> {
    const { body: message } = parse(record, undefined, RecordSchema);
    resolved ??= dependencies();
    let result: Awaited<ReturnType<typeof applyWorkerEvent>>;
    try {
      result = await applyWorkerEvent(message, resolved);
    } catch (error) {
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
    logger.info('worker event processed', {
      workerKey: message.workerKey,
      deliveryId: message.deliveryId,
      outcome: result.outcome,
      ...(result.outcome === 'skipped' ? { reason: result.reason } : { actions: result.plan.actions.map((action) => action.kind) }),
    });
  }

  return withPowertools((event: SQSEvent, context: Context) => processPartialResponse(event, processRecord, processor, { context, skipGroupOnError: true }), { coldStartMetric: true });
}

export const handler = createWorkerHandler(() => syncDependencies(readEnvironment()));
