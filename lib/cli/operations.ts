import { exportEvidence } from '../evidence/export.js';
import { listDeadLetters, redriveDeadLetters } from '../queue/dead-letters.js';
import { Queues, type Lane } from '../queue/queues.js';
import { reconcile } from '../reconcile/reconcile.js';
import { sqsClient } from '../runtime/aws.js';
import { reconcileDependencies, syncDependencies } from '../runtime/dependencies.js';
import { deadLetterQueueUrl, queueUrl, type Environment } from '../runtime/env.js';
import type { CliContext } from './context.js';
import { instantIn } from './display.js';
import { ExitCode } from './errors.js';
import { progress, progressDone } from './output.js';

/** `reconcile [--apply]`: drift between Bitwarden and HR, by kind; `--apply` corrects it through the worker. */
export async function reconcileCommand({ out, env, config }: CliContext, apply: boolean): Promise<number> {
  const result = await reconcile(reconcileDependencies(env, config()), { apply, progress });
  progressDone();
  const counts = out.table(['drift', 'count'], Object.entries(result.counts).map(([kind, count]) => [kind, count]));
  const details = result.drift.length ? `\n\n${out.table(['kind', 'worker', 'e-mail', 'detail'], result.drift.map((item) => [item.kind, item.workerKey, item.email, item.detail]))}` : '';
  const corrected = apply ? `\n\nSent ${result.corrected.length} worker(s) to be corrected; members no worker explains are left alone.` : result.drift.length ? '\n\nRun with --apply to correct what the policy allows.' : '';
  out.print(`Compared ${result.workers} workers with ${result.members} Bitwarden members at ${instantIn(config().policy.timeZone)(result.at)}.\n\n${counts}${details}${corrected}`, result);
  return result.drift.length ? ExitCode.attention : ExitCode.ok;
}

/** `evidence export --out DIR`. */
export async function evidenceExport({ out, env, config }: CliContext, outDir: string): Promise<number> {
  const sync = syncDependencies(env, config());
  const manifest = await exportEvidence(outDir, { bitwarden: sync.bitwarden, workers: sync.workers, audit: sync.audit, reconcile: () => reconcile(reconcileDependencies(env, config()), { apply: false }), now: () => new Date() }, progress);
  progressDone();
  out.print(`Wrote ${manifest.files.length} files and manifest.json (SHA-256 of each) to ${outDir}; open summary.html.\n\n${out.table(['file', 'bytes', 'sha256'], manifest.files.map((file) => [file.name, file.bytes, file.sha256]))}`, manifest);
  return ExitCode.ok;
}

function laneUrls(env: Environment, lane: Lane): { queue: string; deadLetters: string } {
  return { queue: queueUrl(env, Queues[lane]), deadLetters: deadLetterQueueUrl(env, Queues[lane]) };
}

/** `dlq list`: what waits in each lane's dead-letter queue. */
export async function dlqList({ out, env }: CliContext): Promise<number> {
  const sqs = sqsClient();
  const lanes = await Promise.all((Object.keys(Queues) as Lane[]).map(async (lane) => ({ lane, messages: await listDeadLetters(sqs, laneUrls(env, lane).deadLetters) })));
  const rows = lanes.flatMap(({ lane, messages }) => messages.map((message) => [lane, message.workerKey, message.eventType, message.provider, message.deliveryId, message.receiveCount, message.unreadable]));
  out.print(rows.length ? `${out.table(['lane', 'worker', 'event', 'provider', 'delivery', 'receives', 'problem'], rows)}\n\nFix the cause (see the worker's logs for the delivery), then: npx lifecycle dlq redrive` : 'The dead-letter queues are empty.', lanes);
  return rows.length ? ExitCode.attention : ExitCode.ok;
}

/** `dlq redrive`: back to their lanes; each event is re-decided from the newest record, so this is safe. */
export async function dlqRedrive({ out, env }: CliContext): Promise<number> {
  const sqs = sqsClient();
  const moved = [];
  for (const lane of Object.keys(Queues) as Lane[]) {
    const urls = laneUrls(env, lane);
    moved.push(...(await redriveDeadLetters(sqs, urls.deadLetters, urls.queue, new Date())).map((message) => ({ lane, ...message })));
  }
  out.print(moved.length ? `Moved ${moved.length} message(s) back to their lanes.` : 'The dead-letter queues are empty.', moved);
  return ExitCode.ok;
}
