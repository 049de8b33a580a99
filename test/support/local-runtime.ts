import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { randomPrefix, startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../lib/local/runtime.js';
import type { BatchResult } from '../../lib/local/sqs-event-source.js';
import { queueDepth } from '../../lib/queue/depth.js';
import type { WorkerEventMessage } from '../../lib/queue/message.js';
import { sqsClient } from '../../lib/runtime/aws.js';
import { genericDelivery, type SignedDelivery, type WorkerInput } from './generic-events.js';

export const TEST_SECRET = 'whsec_dGVzdC1zdGFuZGFyZC13ZWJob29rcy1zZWNyZXQtMzJi';

export interface TestRuntime extends LocalRuntime {
  post(provider: string, delivery: Pick<SignedDelivery, 'headers' | 'body'>): Promise<{ status: number; body: Record<string, unknown> }>;
  /**
   * Signs a generic-format delivery of `record` with the test secret, posts it, fails unless it is
   * accepted (202), and resolves with its delivery id once a worker has processed it.
   */
  deliver(type: Parameters<typeof genericDelivery>[0], record: WorkerInput, options?: { occurredAt?: string; signedAt?: Date }): Promise<string>;
  /** Resolves when a worker has processed (and deleted) the message of this delivery (or one that matches). */
  processed(deliveryId: string | ((message: WorkerEventMessage) => boolean)): Promise<void>;
  /** Resolves once the workers have processed `count` messages that match (each counted once, by message id). */
  processedCount(count: number, matches: (message: WorkerEventMessage) => boolean): Promise<void>;
  /** Messages in both lanes, visible or in flight. */
  queueDepth(): Promise<number>;
  /** Empties both lanes (a test that counted what a read sent, before the next one). */
  purgeQueues(): Promise<void>;
}

/** The `npm start` runtime on the shared test servers, with its own tables, queues and Bitwarden emulator. */
export async function startTestRuntime(configYaml?: string, options: Partial<Pick<LocalRuntimeOptions, 'clock' | 'startWorker' | 'visibilityTimeoutSeconds' | 'maxReceiveCount' | 'workerConcurrency' | 'workerTimeoutSeconds' | 'reservedConcurrency'>> = {}): Promise<TestRuntime> {
  let configPath = 'cdk/config/lifecycle.yaml';
  if (configYaml) {
    configPath = path.join(mkdtempSync(path.join(tmpdir(), 'lifecycle-')), 'lifecycle.yaml');
    writeFileSync(configPath, configYaml);
  }
  process.env.GENERIC_WEBHOOK_SECRET = TEST_SECRET;
  delete process.env.BITWARDEN_API_URL;
  const runtime = await startLocalRuntime({ port: 0, configPath, endpoints: inject('endpoints'), prefix: randomPrefix(), visibilityTimeoutSeconds: 2, ...options });
  const sqs = sqsClient();

  return Object.assign(runtime, {
    async post(provider: string, delivery: Pick<SignedDelivery, 'headers' | 'body'>) {
      const response = await fetch(`${runtime.url}/webhooks/${provider}`, { method: 'POST', headers: delivery.headers, body: delivery.body });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async deliver(type: Parameters<typeof genericDelivery>[0], record: WorkerInput, options: { occurredAt?: string; signedAt?: Date } = {}) {
      const delivery = genericDelivery(type, record, { secret: TEST_SECRET, ...options });
      const processed = this.processed(delivery.id);
      const { status, body } = await this.post('generic', delivery);
      if (status !== 202) throw new Error(`delivery ${delivery.id} was answered ${status}, not 202: ${JSON.stringify(body)}`);
      await processed;
      return delivery.id;
    },
    processed(deliveryId: string | ((message: WorkerEventMessage) => boolean)) {
      const matches = typeof deliveryId === 'string' ? (message: WorkerEventMessage) => message.deliveryId === deliveryId : deliveryId;
      const sources = Object.values(runtime.workers);
      return new Promise<void>((resolve) => {
        const listener = ({ succeeded }: BatchResult) => {
          // A BambooHR batch shares one delivery id; any of its messages settles the wait.
          if (succeeded.some((record) => matches(JSON.parse(record.body) as WorkerEventMessage))) {
            for (const source of sources) source.off('batch', listener);
            resolve();
          }
        };
        for (const source of sources) source.on('batch', listener);
      });
    },
    processedCount(count: number, matches: (message: WorkerEventMessage) => boolean) {
      const sources = Object.values(runtime.workers);
      const seen = new Set<string>();
      return new Promise<void>((resolve) => {
        const listener = ({ succeeded }: BatchResult) => {
          for (const record of succeeded) if (matches(JSON.parse(record.body) as WorkerEventMessage)) seen.add(record.messageId);
          if (seen.size >= count) {
            for (const source of sources) source.off('batch', listener);
            resolve();
          }
        };
        for (const source of sources) source.on('batch', listener);
        if (count === 0) listener({ succeeded: [], failed: [], durationMs: 0 });
      });
    },
    async purgeQueues() {
      await Promise.all(Object.values(runtime.queues).map((queue) => sqs.send(new PurgeQueueCommand({ QueueUrl: queue.url }))));
    },
    queueDepth() {
      return queueDepth(sqs, Object.values(runtime.queues).map((queue) => queue.url));
    },
  });
}
