import { EventEmitter } from 'node:events';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { localContext } from './lambda-context.js';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface BatchResult {
  succeeded: SQSRecord[];
  failed: SQSRecord[];
  /** Set when the handler threw (as Powertools does when every record failed): the whole batch is retried. */
  error?: Error;
  /** How long the handler ran: what Lambda would bill. */
  durationMs: number;
}

export interface SqsEventSourceOptions {
  queueUrl: string;
  queueArn: string;
  functionName: string;
  timeoutSeconds: number;
  batchSize?: number;
  /** Parallel pollers, like the event source mapping's concurrency. */
  concurrency?: number;
}

/**
 * What Lambda's SQS event source mapping does, for the local runtime: receive batches, invoke the
 * handler with an SQSEvent, delete what succeeded, and leave the reported failures in flight so
 * the queue redelivers them after the visibility timeout and dead-letters them after
 * maxReceiveCount. As in AWS, each record carries its receipt handle and its queue's ARN, so that
 * the handler may change a failed record's visibility itself (functions/worker.ts does for a
 * worker busy in the other lane). Emits `batch` with the outcome of every invocation.
 */
export class SqsEventSource extends EventEmitter<{ batch: [BatchResult]; pollError: [Error] }> {
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly sqs: SQSClient,
    /**
     * Makes one handler per concurrent poller, as Lambda gives each concurrent invocation its own
     * execution environment: handlers keep per-invocation state (Powertools' batch processor does),
     * so two batches must never run through one handler at once.
     */
    private readonly createHandler: () => SqsHandler,
    private readonly options: SqsEventSourceOptions,
  ) {
    super();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: this.options.concurrency ?? 2 }, () => this.poll(this.createHandler()));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async poll(handler: SqsHandler): Promise<void> {
    while (this.running) {
      try {
        const { Messages } = await this.sqs.send(
          new ReceiveMessageCommand({ QueueUrl: this.options.queueUrl, MaxNumberOfMessages: this.options.batchSize ?? 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }),
        );
        if (Messages && Messages.length > 0) await this.invoke(handler, Messages);
      } catch (error) {
        if (!this.running) return;
        this.emit('pollError', error as Error);
      }
    }
  }

  private async invoke(handler: SqsHandler, messages: Message[]): Promise<void> {
    const records = messages.map((message) => this.toRecord(message));
    let failedIds: Set<string>;
    let handlerError: Error | undefined;
    const started = performance.now();
    try {
      const response = await handler({ Records: records }, localContext(this.options.functionName, this.options.timeoutSeconds));
      failedIds = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      // A handler that throws fails the whole batch, as in Lambda.
      handlerError = error as Error;
      failedIds = new Set(records.map((record) => record.messageId));
    }
    const durationMs = performance.now() - started;
    const succeeded = records.filter((record) => !failedIds.has(record.messageId));
    if (succeeded.length > 0) {
      await this.sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: succeeded.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })) }),
      );
    }
    this.emit('batch', { succeeded, failed: records.filter((record) => failedIds.has(record.messageId)), durationMs, ...(handlerError ? { error: handlerError } : {}) });
  }

  private toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
        ...(attributes.MessageDeduplicationId ? { MessageDeduplicationId: attributes.MessageDeduplicationId } : {}),
        ...(attributes.SequenceNumber ? { SequenceNumber: attributes.SequenceNumber } : {}),
      },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.queueArn,
      awsRegion: process.env.AWS_REGION ?? 'us-east-1',
    };
  }
}
