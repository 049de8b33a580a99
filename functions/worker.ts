import { ChangeMessageVisibilityBatchCommand, GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { WorkerEventMessageSchema } from '../lib/queue/message.js';
import { sqsClient } from '../lib/runtime/aws.js';
import { syncDependencies } from '../lib/runtime/dependencies.js';
import { readEnvironment } from '../lib/runtime/env.js';
import { withPowertools } from '../lib/runtime/handler.js';
import { logger, Metric, metrics, MetricUnit } from '../lib/runtime/observability.js';
import { withinCallScope } from '../lib/bitwarden/call-scope.js';
import { RateBudgetExhaustedError } from '../lib/bitwarden/errors.js';
import { processFifoBatch } from '../lib/queue/fifo-batch.js';
import { laneOf } from '../lib/queue/lanes.js';
import { missedByWebhooks } from '../lib/roster/corrections.js';
import { applyWorkerEvent, type SyncDependencies } from '../lib/sync/apply-worker-event.js';
import { failureReason, isLastAttempt, isWait, recordFailure } from '../lib/sync/failures.js';

/**
 * How soon a failed message comes back: seconds, not the queue's 180 s visibility timeout. Transient
 * failures (Bitwarden 5xx, a worker the other lane held) back off exponentially with jitter, about 2,
 * 4, 8, 16, 32, then 60 s over the queue's ten receives (lib/queue/queues.ts); with the wait for the other lane
 * (10 s on each, lib/sync/apply-worker-event.ts) they outlast the lease of a holder that crashed (WORKER_LEASE_SECONDS, 60 s). A call the rate budget could not fit comes
 * back exactly when its slot is free.
 */
const MAX_RETRY_SECONDS = 60;
export function retryDelaySeconds(error: unknown, receiveCount: number): number {
  if (error instanceof RateBudgetExhaustedError) return Math.min(MAX_RETRY_SECONDS, Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  const base = 2 ** Math.max(1, receiveCount);
  return Math.min(MAX_RETRY_SECONDS, Math.max(1, Math.round(base * (0.75 + Math.random() * 0.5))));
}

/** Consumes the worker-events FIFO queue, reporting partial batch failures. */
export function createWorkerHandler(dependencies: () => SyncDependencies) {
  let resolved: SyncDependencies | undefined;
  // Why each message group (worker key) of this invocation failed: its records come back after retryDelaySeconds.
  const failedGroups = new Map<string, unknown>();
  let sqs: SQSClient | undefined;
  const queueUrls = new Map<string, string>();
  const maxReceiveCounts = new Map<string, number | null>();

  async function processRecord(record: SQSRecord, context: Context): Promise<void> {
    // A body that is not a worker event throws: the record is retried, then dead-lettered.
    const message = WorkerEventMessageSchema.parse(JSON.parse(record.body));
    resolved ??= dependencies();
    const deps = resolved;
    let result: Awaited<ReturnType<typeof applyWorkerEvent>>;
    try {
      // Revocations draw from Bitwarden's rate budget first; every wait is bounded by the time this invocation has left.
      const scope = { priority: laneOf(message) === 'urgent' ? ('urgent' as const) : ('normal' as const), timeLeft: () => context.getRemainingTimeInMillis() };
      result = await withinCallScope(scope, () => applyWorkerEvent(message, deps));
    } catch (error) {
      failedGroups.set(record.attributes.MessageGroupId!, error);
      const attempt = { receiveCount: Number(record.attributes.ApproximateReceiveCount), maxReceiveCount: await maxReceives(record.eventSourceARN) };
      const logged = { workerKey: message.workerKey, deliveryId: message.deliveryId, receiveCount: record.attributes.ApproximateReceiveCount };
      if (isWait(error) && !isLastAttempt(attempt)) {
        // A wait (a full rate budget, the other lane's lease) is the usual course of a wave, not an error, unless it was the last try.
        logger.info('worker event waits; SQS brings it back when it can go on', { ...logged, reason: failureReason(error) });
      } else {
        // The reason a message is retried, and after 10 receives dead-lettered: the runbook starts here.
        logger.error('worker event failed; SQS will retry it', { ...logged, error });
      }
      // On the audit trail too, so `lifecycle dlq list` says why; recording must not hide the failure itself.
      await recordFailure(message, error, attempt, deps).catch((recording: unknown) => logger.warn('the failure could not be audited', { deliveryId: message.deliveryId, error: recording }));
      throw error;
    }
    metrics.addMetric(result.outcome === 'skipped' ? Metric.EventsSkipped : Metric.EventsApplied, MetricUnit.Count, 1);
    if (result.outcome === 'held') metrics.addMetric(Metric.RevocationsHeld, MetricUnit.Count, 1);
    const executed = result.outcome === 'skipped' ? [] : result.executed;
    for (const done of executed) {
      metrics.addMetric(Metric.action(done.action.kind), MetricUnit.Count, 1);
      if (done.action.kind === 'revoke') metrics.addMetric(Metric.RevocationLatency, MetricUnit.Milliseconds, Date.now() - Date.parse(message.receivedAt));
    }
    // A roster read after the first changed Bitwarden: a change no webhook had delivered (docs/design.md, decision 11).
    if (await missedByWebhooks(message, executed.length > 0)) {
      metrics.addMetric(Metric.rosterCorrections(message.provider), MetricUnit.Count, 1);
      metrics.addMetric(Metric.RosterCorrections, MetricUnit.Count, 1);
      logger.warn('a roster read found a change no webhook delivered', { workerKey: message.workerKey, source: message.provider, actions: executed.map((done) => done.action.kind) });
    }
    logger.info('worker event processed', {
      workerKey: message.workerKey,
      deliveryId: message.deliveryId,
      outcome: result.outcome,
      ...(result.outcome === 'skipped' ? { reason: result.reason } : { actions: result.plan.actions.map((action) => action.kind) }),
    });
  }

  async function processBatch(event: SQSEvent, context: Context) {
    failedGroups.clear();
    // Workers side by side, each worker's messages in order; a failed message fails the rest of its worker's, not other workers'.
    const { batchItemFailures, failed } = await processFifoBatch(event, (record) => processRecord(record, context), context);
    // The failed record and the ones after it in its group: FIFO holds the group until they all come back.
    await retrySoon(failed);
    return { batchItemFailures };
  }

  /** Makes failed records visible again after retryDelaySeconds; should that fail, they come back after the visibility timeout. */
  async function retrySoon(records: SQSRecord[]): Promise<void> {
    if (records.length === 0) return;
    sqs ??= sqsClient();
    try {
      // One event source mapping reads one queue: every record of a batch names the same. Entries that
      // fail name a message no longer in flight: it is visible already.
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: await queueUrl(sqs, records[0]!.eventSourceARN),
          Entries: records.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: retryDelaySeconds(failedGroups.get(record.attributes.MessageGroupId!), Number(record.attributes.ApproximateReceiveCount)),
          })),
        }),
      );
    } catch (error) {
      logger.warn('failed messages come back after the visibility timeout instead', { error });
    }
  }

  /** After how many receives the queue dead-letters a message (its redrive policy, read once); null if it cannot be read. */
  async function maxReceives(queueArn: string): Promise<number | null> {
    if (!maxReceiveCounts.has(queueArn)) {
      sqs ??= sqsClient();
      try {
        const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: await queueUrl(sqs, queueArn), AttributeNames: ['RedrivePolicy'] }));
        maxReceiveCounts.set(queueArn, Attributes?.RedrivePolicy ? Number((JSON.parse(Attributes.RedrivePolicy) as { maxReceiveCount: number | string }).maxReceiveCount) : null);
      } catch (error) {
        logger.warn("the queue's redrive policy could not be read: dead letters are audited, not told", { error });
        return null;
      }
    }
    return maxReceiveCounts.get(queueArn)!;
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
