import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { LifecycleConfig } from '../../../lib/config/schema.js';
import type { LocalRuntime } from '../../../lib/local/runtime.js';
import type { SqsEventSource } from '../../../lib/local/sqs-event-source.js';
import type { WorkerEventMessage } from '../../../lib/queue/message.js';
import { documentClient, sqsClient } from '../../../lib/runtime/aws.js';
import { findSource } from '../../../lib/sources/registry.js';
import type { Source } from '../../../lib/sources/source.js';
import { AuditLog } from '../../../lib/store/audit-log.js';
import { Tables } from '../../../lib/store/tables.js';
import { changeKeyOf, emptyTotals, judgeAnswer, Ledger, type Answer, type ProviderTotals, type Violation } from './checker.js';
import { DeliveryGenerator, type Delivery, type Signer } from './deliveries.js';
import { providerFormats, type ProviderFormat } from './providers.js';
import { Random } from './random.js';

/**
 * The fuzzer: sends generated deliveries (valid, mutated, forged) per provider through a running
 * local runtime in batches, and after each batch waits for the workers to drain and checks
 * test/support/fuzz/checker.ts's invariants. `npm run fuzz` (scripts/fuzz.ts) runs it at scale on its
 * own servers; test/integration/fuzz.test.ts runs it small on the shared test servers.
 */

/** Every provider enabled; rules that give workers several groups; a guard that holds revocations only past a burst. */
export const FUZZ_CONFIG = `
providers:
  generic: {}
  bamboohr: {}
  hibob: {}
  merge: {}
  finch: {}
policy:
  massRevocationGuard: { windowMinutes: 60, maxRevocations: 150, maxShareOfOrganization: 0.5 }
rules:
  - id: everyone
    groups: [All Staff]
  - id: engineering
    match: { department: Engineering }
    groups: [Engineering]
  - id: platform-engineers
    match: { department: Engineering, jobTitle: ["*Engineer*", "*SRE*"] }
    groups: [Production Access]
  - id: finance
    match: { department: [Finance, Accounting] }
    groups: [Finance]
  - id: contractors
    match: { employmentType: contractor }
    groups: [Contractors]
`;

export interface FuzzOptions {
  seed: number;
  perProvider: number;
  /** Deliveries between two checks. */
  batchSize?: number;
  /** Deliveries in flight at once. */
  concurrency?: number;
  providers?: readonly string[];
  /** Workers per provider that events pick among (default: perProvider / 25, between 20 and 300). */
  populationSize?: number;
  /** How long the workers may take to drain a batch before that counts as a crash. */
  drainTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface FuzzReport {
  seed: number;
  perProvider: number;
  totals: ProviderTotals[];
  violations: Violation[];
  /** Messages the product enqueued itself (re-evaluations), not from deliveries. */
  reevaluations: number;
  elapsedMs: number;
}

/** How long to wait for one more worker invocation once the queues read empty, before calling what is outstanding lost. */
const SETTLE_MS = 3_000;

/** The secret the runtime verifies with: its environment (set by startLocalRuntime or the test), the first of a rotation. */
const secretOf = (source: Source) => (process.env[source.secretEnvVar] ?? source.localSecret).split(' ')[0]!;

export async function runFuzz(runtime: LocalRuntime, config: LifecycleConfig, options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const ledger = new Ledger();
  const workers = Object.values(runtime.workers);
  for (const worker of workers) worker.on('batch', ledger.onBatch);
  const audit = new AuditLog(documentClient(), process.env[Tables.audit.envVar]!);
  const root = new Random(options.seed);
  const formats = providerFormats.filter((format) => !options.providers || options.providers.includes(format.name));
  const report: FuzzReport = { seed: options.seed, perProvider: options.perProvider, totals: [], violations: [], reevaluations: 0, elapsedMs: 0 };
  try {
    for (const format of formats) {
      // One stream per provider: `--providers hibob --seed S` replays hibob's deliveries alone.
      const { totals, violations } = await fuzzProvider(runtime, config, format, root.fork(format.name), ledger, (workerKey) => audit.forWorker(workerKey), options, log);
      report.totals.push(totals);
      report.violations.push(...violations);
    }
  } finally {
    for (const worker of workers) worker.off('batch', ledger.onBatch);
  }
  report.reevaluations = ledger.reevaluations;
  report.elapsedMs = performance.now() - started;
  return report;
}

async function fuzzProvider(
  runtime: LocalRuntime,
  config: LifecycleConfig,
  format: ProviderFormat,
  random: Random,
  ledger: Ledger,
  auditOf: (workerKey: string) => ReturnType<AuditLog['forWorker']>,
  options: FuzzOptions,
  log: (line: string) => void,
): Promise<{ totals: ProviderTotals; violations: Violation[] }> {
  const started = performance.now();
  const source = findSource(format.name)!;
  const settings = config.providers[format.name]!;
  const generator = new DeliveryGenerator({
    format,
    source,
    secret: secretOf(source),
    otherSigners: otherSigners(format.name),
    apiRecords: runtime.sourceApis.names().includes(format.name) ? runtime.sourceApis.records(format.name) : null,
    populationSize: options.populationSize ?? Math.min(300, Math.max(20, Math.round(options.perProvider / 25))),
    random,
  });
  const totals = emptyTotals(format.name);
  const violations: Violation[] = [];
  const batchSize = options.batchSize ?? 500;
  const processedBefore = ledger.processed;
  const retriedBefore = ledger.retriedReceives;

  while (totals.sent < options.perProvider) {
    const deliveries = generator.batch(Math.min(batchSize, options.perProvider - totals.sent));
    const answers = await sendAll(runtime.url, deliveries, options.concurrency ?? 16);
    deliveries.forEach((delivery, index) => {
      const answer = answers[index]!;
      violations.push(...judgeAnswer(delivery, answer, totals));
      if (answer.status !== 202) return;
      totals.changesEnqueued += Number(answer.body?.accepted ?? 0);
      violations.push(...ledger.expect(delivery, source, settings, answer));
      generator.remember(delivery);
    });
    violations.push(...twinsAcceptedTwice(deliveries, answers));

    const drained = await drain(runtime, ledger, options.drainTimeoutMs ?? 180_000);
    if (!drained) {
      totals.crashes++;
      violations.push({ check: '(c) crash', provider: format.name, message: `the workers did not drain the queues within ${options.drainTimeoutMs ?? 180_000} ms (${await queueDepth(runtime, 'url')} messages left)` });
    }
    const deadLettered = await takeDeadLetters(runtime);
    violations.push(...ledger.checkProcessed(format.name));
    violations.push(...(await ledger.checkOutcomes(format.name, auditOf, deadLettered, totals.outcomes)));
    const health = await healthCheck(runtime.url);
    if (health) {
      totals.crashes++;
      violations.push({ check: '(c) crash', provider: format.name, message: health });
    }
    totals.violations = violations.length;
    log(`${format.name} ${totals.sent}/${options.perProvider}: ${statusLine(totals)} · outcomes ${JSON.stringify(totals.outcomes)} · violations ${violations.length} · ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  totals.messagesProcessed = ledger.processed - processedBefore;
  totals.retriedReceives = ledger.retriedReceives - retriedBefore;
  totals.elapsedMs = performance.now() - started;
  return { totals, violations };
}

/** Every other registered provider's signer, with its own secret: a real signature, for the wrong provider. */
function otherSigners(name: string): Signer[] {
  return providerFormats
    .filter((format) => format.name !== name)
    .map((format) => findSource(format.name)!)
    .map((other) => (body: Buffer, now: Date, deliveryId: string) => other.sign(body, secretOf(other), now, deliveryId || 'forged-id'));
}

async function post(url: string, delivery: Delivery): Promise<Answer> {
  try {
    const response = await fetch(`${url}${delivery.path}`, { method: 'POST', headers: delivery.headers, body: delivery.body });
    const text = await response.text();
    let body: Record<string, unknown> | null = null;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // A non-JSON answer is judged by its status alone.
    }
    return { status: response.status, body };
  } catch (error) {
    return { status: 0, body: null, error: `${(error as Error).message}${(error as Error).cause ? `: ${String(((error as Error).cause as Error).message ?? (error as Error).cause)}` : ''}` };
  }
}

/** Sends with `concurrency` in flight; a twin goes out together with its sibling. */
async function sendAll(url: string, deliveries: Delivery[], concurrency: number): Promise<Answer[]> {
  const answers: Answer[] = new Array(deliveries.length);
  const groups: number[][] = [];
  deliveries.forEach((delivery, index) => (delivery.twinOf !== undefined ? groups.at(-1)!.push(index) : groups.push([index])));
  let next = 0;
  const lane = async () => {
    while (next < groups.length) {
      const group = groups[next++]!;
      await Promise.all(group.map(async (index) => (answers[index] = await post(url, deliveries[index]!))));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return answers;
}

/** Two copies of one delivery sent at once: the idempotency record lets one through, never both. */
function twinsAcceptedTwice(deliveries: Delivery[], answers: Answer[]): Violation[] {
  return deliveries.flatMap((delivery, index) => {
    if (delivery.twinOf === undefined) return [];
    const sibling = deliveries.findIndex((candidate) => candidate.id === delivery.twinOf);
    if (answers[index]!.status !== 202 || answers[sibling]!.status !== 202) return [];
    return [{ check: '(a) enqueued without a valid signature' as const, provider: delivery.provider, message: `two copies of delivery #${delivery.twinOf} sent at once were both accepted` }];
  });
}

/** Messages in both lanes (or their dead-letter queues), visible, in flight or delayed. */
async function queueDepth(runtime: LocalRuntime, which: 'url' | 'deadLetterUrl'): Promise<number> {
  const sqs = sqsClient();
  let depth = 0;
  for (const queue of Object.values(runtime.queues)) {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue[which], AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
    );
    depth += Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
  }
  return depth;
}

/** Resolves true on the next worker invocation, false after `timeoutMs` without one. */
function nextBatch(workers: SqsEventSource[], timeoutMs: number): { arrived: Promise<boolean>; cancel(): void } {
  let finish: (arrived: boolean) => void = () => {};
  const arrived = new Promise<boolean>((resolve) => {
    const onBatch = () => finish(true);
    const timer = setTimeout(() => finish(false), timeoutMs);
    finish = (value) => {
      clearTimeout(timer);
      for (const worker of workers) worker.off('batch', onBatch);
      resolve(value);
    };
    for (const worker of workers) worker.on('batch', onBatch);
  });
  return { arrived, cancel: () => finish(false) };
}

/**
 * Waits, invocation by invocation, until the queues are empty and every accepted change has been
 * processed, or the queues are empty and stay quiet for SETTLE_MS (what is outstanding then is lost:
 * checked next). False if the deadline passes with messages still queued.
 */
async function drain(runtime: LocalRuntime, ledger: Ledger, timeoutMs: number): Promise<boolean> {
  const workers = Object.values(runtime.workers);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // Listen before reading the depth, so that an invocation finishing in between is not missed.
    const next = nextBatch(workers, Math.min(SETTLE_MS, Math.max(1, deadline - Date.now())));
    const depth = await queueDepth(runtime, 'url');
    if (depth === 0 && ledger.outstanding() === 0) {
      next.cancel();
      return true;
    }
    if (!(await next.arrived) && depth === 0) return true;
  }
  return false;
}

/** Empties the dead-letter queues: the changes SQS gave up on, by delivery id and worker key. */
async function takeDeadLetters(runtime: LocalRuntime): Promise<Set<string>> {
  const keys = new Set<string>();
  if ((await queueDepth(runtime, 'deadLetterUrl')) === 0) return keys;
  const sqs = sqsClient();
  for (const queue of Object.values(runtime.queues)) {
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.deadLetterUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) break;
      for (const message of Messages) keys.add(changeKeyOf(JSON.parse(message.Body ?? '{}') as WorkerEventMessage));
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queue.deadLetterUrl, Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }));
    }
  }
  return keys;
}

/** Null when GET /healthz answers 200; otherwise what went wrong. */
async function healthCheck(url: string): Promise<string | null> {
  try {
    const response = await fetch(`${url}/healthz`);
    await response.arrayBuffer();
    return response.status === 200 ? null : `GET /healthz answered ${response.status}`;
  } catch (error) {
    return `GET /healthz failed: ${(error as Error).message}`;
  }
}

function statusLine(totals: ProviderTotals): string {
  return Object.entries(totals.statuses)
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
}
