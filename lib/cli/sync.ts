import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { queueDepth } from '../queue/depth.js';
import { Queues } from '../queue/queues.js';
import { planRoster, rosterPlanKinds } from '../roster/plan-roster.js';
import { syncRoster } from '../roster/sync-roster.js';
import { sqsClient } from '../runtime/aws.js';
import { rosterSyncDependencies, syncDependencies } from '../runtime/dependencies.js';
import { rosterReader } from '../runtime/roster-reader.js';
import { queueUrl } from '../runtime/env.js';
import { findSource, registeredSources } from '../sources/registry.js';
import { RosterUnreadableError } from '../sources/roster.js';
import { csvOf } from '../vocabulary/csv.js';
import type { CliContext } from './context.js';
import { ExitCode, UsageError } from './errors.js';
import { progress, progressBar, progressDone } from './output.js';

/** A source that can list its roster, else a file (relative to where the command was started) read by the file source. */
function rosterOrigin(from: string, workingDirectory: string): { source: string; location?: string } {
  if (findSource(from)?.readRoster) return { source: from };
  const file = path.resolve(workingDirectory, from);
  if (existsSync(file)) return { source: 'file', location: file };
  const listable = registeredSources().filter((source) => source.readRoster).map((source) => source.name);
  throw new UsageError(`--from ${from}: neither a source that can list its roster nor a file that exists`, `Sources that can: ${listable.join(', ')}.`);
}

/**
 * `sync --from <source|file> [--apply] [--csv FILE]`. Without `--apply`: the plan for the whole
 * company, in counts and a CSV of rows, nothing written. With it: the roster goes through the
 * queue like any event, and the command waits until the worker has applied it.
 */
export async function syncCommand(context: CliContext, from: string, options: { apply: boolean; csv?: string }): Promise<number> {
  try {
    return await runSync(context, rosterOrigin(from, context.workingDirectory), options);
  } catch (error) {
    if (!(error instanceof RosterUnreadableError)) throw error;
    context.out.error(`${from} cannot be read as a roster, so nothing was changed: ${error.message}`, null, { changed: false });
    return ExitCode.failure;
  }
}

async function runSync(context: CliContext, origin: { source: string; location?: string }, options: { apply: boolean; csv?: string }): Promise<number> {
  const { out, env, config } = context;
  if (!options.apply) return printPlan(context, origin, options.csv ?? path.join(context.workingDirectory, `lifecycle-sync-plan-${origin.source}.csv`));

  const result = await syncRoster(origin.source, rosterSyncDependencies(env, config(), rosterReader(env, config(), origin.source, origin.location), () => Number.POSITIVE_INFINITY), { lockMs: 15 * 60_000 });
  progress(`sent ${result.changed} change(s); waiting for the worker`);
  const drained = await waitForQueues(env, result.changed + result.removed);
  progressDone();
  const problems = result.problems.length ? `\n\nRows not read (nothing was done for them):\n${out.table(['where', 'reason'], result.problems.map((problem) => [problem.at, problem.reason]))}` : '';
  out.print(
    `Read ${result.records} worker(s) in ${result.pages} page(s) from ${origin.source}: ${result.changed} changed and sent to the worker, ${result.removed} absent and sent as removed.` +
      (result.removalRefused ? `\nAbsent workers were NOT removed: ${result.removalRefused}.` : '') +
      (drained ? '\nThe worker has applied everything; see npx lifecycle reconcile.' : '\nThe worker is still applying them (the queue is not empty yet); see npx lifecycle reconcile later.') +
      problems,
    { ...result, drained },
  );
  return result.problems.length > 0 ? ExitCode.failure : ExitCode.ok;
}

async function printPlan({ out, env, config }: CliContext, origin: { source: string; location?: string }, csvPath: string): Promise<number> {
  const sync = syncDependencies(env, config());
  const plan = await planRoster(origin.source, { ...sync, readPage: rosterReader(env, config(), origin.source, origin.location) }, progress);
  progressDone();
  writeFileSync(csvPath, csvOf(plan.rows));
  const counts = out.table(['would', 'workers'], rosterPlanKinds.map((kind) => [kind, plan.counts[kind]]));
  const problems = plan.problems.length ? `\n\nRows not read (they would change nothing):\n${out.table(['where', 'reason'], plan.problems.map((problem) => [problem.at, problem.reason]))}` : '';
  out.print(`${plan.records} worker(s) in ${plan.pages} page(s) from ${origin.source}. Nothing was changed; the plan:\n\n${counts}\n\nEvery row is in ${csvPath}.${problems}\nApply it with --apply.`, { ...plan, csv: csvPath });
  return plan.problems.length > 0 ? ExitCode.failure : ExitCode.ok;
}

/** Until both lanes are empty, with a progress bar; gives up (false) after ten minutes without progress. */
async function waitForQueues(env: CliContext['env'], sent: number): Promise<boolean> {
  const sqs = sqsClient();
  const urls = [queueUrl(env, Queues.events), queueUrl(env, Queues.urgent)];
  let last = Number.POSITIVE_INFINITY;
  let stalledSince = Date.now();
  for (;;) {
    const depth = await queueDepth(sqs, urls);
    progressBar(Math.max(0, sent - depth), sent, 'applied');
    if (depth === 0) return true;
    if (depth < last) [last, stalledSince] = [depth, Date.now()];
    if (Date.now() - stalledSince > 10 * 60_000) return false;
    // SQS has no event to await from here: its counts are polled, once a second.
    await sleep(1_000);
  }
}
