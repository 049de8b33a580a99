import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { randomPrefix, startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../lib/local/runtime.js';
import { sqsClient } from '../../lib/runtime/aws.js';
import type { SignedDelivery } from './generic-events.js';

export const TEST_SECRET = 'whsec_dGVzdC1zdGFuZGFyZC13ZWJob29rcy1zZWNyZXQtMzJi';

export interface TestRuntime extends LocalRuntime {
  post(provider: string, delivery: Pick<SignedDelivery, 'headers' | 'body'>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Resolves when the worker has processed (and deleted) the message of this delivery. */
  processed(deliveryId: string): Promise<void>;
  /** Messages in the events queue, visible or in flight. */
  queueDepth(): Promise<number>;
}

/** The `npm start` runtime on the shared test servers, with its own tables, queues and Bitwarden emulator. */
export async function startTestRuntime(configYaml?: string, options: Partial<Pick<LocalRuntimeOptions, 'clock' | 'startWorker'>> = {}): Promise<TestRuntime> {
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
    processed(deliveryId: string) {
      return new Promise<void>((resolve) => {
        const listener = ({ succeeded }: { succeeded: Array<{ body: string }> }) => {
          // A BambooHR batch shares one delivery id; any of its messages settles the wait.
          if (succeeded.some((record) => (JSON.parse(record.body) as { deliveryId: string }).deliveryId === deliveryId)) {
            runtime.worker.off('batch', listener);
            resolve();
          }
        };
        runtime.worker.on('batch', listener);
      });
    },
    async queueDepth() {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: runtime.queues.events.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    },
  });
}
