import { listDeadLetters, redriveDeadLetters, type DeadLetter } from '../queue/dead-letters.js';
import { Queues, type Lane } from '../queue/queues.js';
import { reconcile } from '../reconcile/reconcile.js';
import { documentClient, sqsClient } from '../runtime/aws.js';
import { reconcileWithRosters } from '../runtime/reconcile-dependencies.js';
import { deadLetterQueueUrl, queueUrl, tableName, type Environment } from '../runtime/env.js';
import { AuditLog } from '../store/audit-log.js';
import { Tables } from '../store/tables.js';
import { lastFailure } from '../sync/failures.js';
import type { CliContext } from './context.js';
import { instantIn } from './display.js';
import { ExitCode } from './errors.js';
import { progress, progressDone } from './output.js';

/** `reconcile [--apply]`: drift between Bitwarden and HR, by kind; `--apply` corrects it through the worker. */
export async function reconcileCommand({ out, env, config }: CliContext, apply: boolean): Promise<number> {
  const result = await reconcile(reconcileWithRosters(env, config()), { apply, progress });
  progressDone();
  const counts = out.table(['drift', 'count'], Object.entries(result.counts).map(([kind, count]) => [kind, count]));
  const details = result.drift.length ? `\n\n${out.table(['kind', 'worker', 'e-mail', 'detail'], result.drift.map((item) => [item.kind, item.workerKey, item.email, item.detail]))}` : '';
  const corrected = apply ? `\n\nSent ${result.corrected.length} worker(s) to be corrected; members no worker explains are left alone.` : result.drift.length ? '\n\nRun with --apply to correct what the policy allows.' : '';
  out.print(`Compared ${result.workers} workers with ${result.members} Bitwarden members at ${instantIn(config().policy.timeZone)(result.at)}.\n\n${counts}${details}${corrected}`, result);
  return result.drift.length ? ExitCode.attention : ExitCode.ok;
}

function laneUrls(env: Environment, lane: Lane): { queue: string; deadLetters: string } {
  return { queue: queueUrl(env, Queues[lane]), deadLetters: deadLetterQueueUrl(env, Queues[lane]) };
}

/** `dlq list`: what waits in each lane's dead-letter queue, and why: the last failure the worker audited for its delivery (lib/sync/failures.ts). */
export async function dlqList({ out, env }: CliContext): Promise<number> {
  const sqs = sqsClient();
  const audit = new AuditLog(documentClient(), tableName(env, Tables.audit));
  const why = async (letter: DeadLetter) => {
    const failure = letter.workerKey && letter.deliveryId ? await lastFailure(audit, letter.workerKey, letter.deliveryId) : null;
    return { ...letter, reason: letter.unreadable ?? failure?.detail ?? null, failedAt: failure?.at ?? null };
  };
  const lanes = await Promise.all((Object.keys(Queues) as Lane[]).map(async (lane) => ({ lane, messages: await Promise.all((await listDeadLetters(sqs, laneUrls(env, lane).deadLetters)).map(why)) })));
  const rows = lanes.flatMap(({ lane, messages }) => messages.map((message) => [lane, message.workerKey, message.eventType, message.deliveryId, message.receiveCount, message.reason ?? 'no failure audited (see the worker logs)']));
  out.print(
    rows.length
      ? `${out.table(['lane', 'worker', 'event', 'delivery', 'receives', 'why'], rows)}\n\nFix the cause, then: npx lifecycle dlq redrive --delivery ID (one), or npx lifecycle dlq redrive (all)`
      : 'The dead-letter queues are empty.',
    lanes,
  );
  return rows.length ? ExitCode.attention : ExitCode.ok;
}

/** `dlq redrive [--delivery ID | --message ID]`: back to their lanes; each event is re-decided from the newest record, so this is safe. */
export async function dlqRedrive({ out, env }: CliContext, only: { delivery?: string; message?: string }): Promise<number> {
  const sqs = sqsClient();
  const select = (letter: DeadLetter) => (!only.delivery || letter.deliveryId === only.delivery) && (!only.message || letter.messageId === only.message);
  const moved = [];
  for (const lane of Object.keys(Queues) as Lane[]) {
    const urls = laneUrls(env, lane);
    moved.push(...(await redriveDeadLetters(sqs, urls.deadLetters, urls.queue, new Date(), select)).map((message) => ({ lane, ...message })));
  }
  const chosen = only.delivery ? `delivery ${only.delivery}` : only.message ? `message ${only.message}` : null;
  if (chosen && moved.length === 0) {
    out.error(`no dead letter of ${chosen}`, 'npx lifecycle dlq list shows the dead letters, their delivery and message ids.');
    return ExitCode.failure;
  }
  out.print(moved.length ? `Moved ${moved.length} message(s) back to their lanes.` : 'The dead-letter queues are empty.', moved);
  return ExitCode.ok;
}
