import '../runtime/machine-defaults.js';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createWorkerHandler } from '../../functions/worker.js';
import { loadConfigFile } from '../config/load.js';
import { Queues, WORKER_TIMEOUT_SECONDS, type Lane } from '../queue/queues.js';
import { sqsClient } from '../runtime/aws.js';
import { syncDependencies } from '../runtime/dependencies.js';
import { readEnvironment } from '../runtime/env.js';
import { SqsEventSource } from './sqs-event-source.js';

/**
 * The worker alone, as its own process: both lanes' event sources over the queues named in the
 * environment (EVENTS_QUEUE_URL, URGENT_QUEUE_URL, the tables, Bitwarden). The chaos test kills it
 * mid-batch and starts it again, as Lambda may lose an invocation. WORKER_CONCURRENCY and
 * WORKER_TIMEOUT_SECONDS (what each invocation is told it has) scale it as a test needs.
 */
const sqs = sqsClient();
const handler = () => createWorkerHandler(() => {
  const env = readEnvironment();
  return syncDependencies(env, loadConfigFile(env.LIFECYCLE_CONFIG));
});
const sources: SqsEventSource[] = [];
for (const [lane, definition] of Object.entries(Queues) as Array<[Lane, (typeof Queues)[Lane]]>) {
  const queueUrl = process.env[definition.envVar]!;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const source = new SqsEventSource(sqs, handler, { queueUrl, queueArn: Attributes!.QueueArn!, functionName: `worker-${lane}`, timeoutSeconds: Number(process.env.WORKER_TIMEOUT_SECONDS ?? WORKER_TIMEOUT_SECONDS), concurrency: Number(process.env.WORKER_CONCURRENCY ?? 2) });
  source.start();
  sources.push(source);
}
process.stdout.write('worker ready\n');
process.on('SIGTERM', () => void Promise.all(sources.map((source) => source.stop())).then(() => process.exit(0)));
