import type { Context, S3Event } from 'aws-lambda';
import { runScheduledRosterReads, type ScheduledOutcome } from '../lib/roster/scheduled.js';
import { syncRoster } from '../lib/roster/sync-roster.js';
import { documentClient } from '../lib/runtime/aws.js';
import { rosterSyncDependencies, shippedConfig } from '../lib/runtime/dependencies.js';
import { rosterReader } from '../lib/runtime/roster-reader.js';
import { readEnvironment, tableName } from '../lib/runtime/env.js';
import { withPowertools } from '../lib/runtime/handler.js';
import { logger, Metric, metrics, MetricUnit } from '../lib/runtime/observability.js';
import { rosterSources } from '../lib/sources/connected-sources.js';
import { RosterStore } from '../lib/store/roster-store.js';
import { Tables } from '../lib/store/tables.js';

/** Longer than this function may run (15 minutes), so a crashed invocation's read is resumed by the next tick after it. */
const LOCK_MS = 16 * 60_000;

const isS3Event = (event: unknown): event is S3Event => Array.isArray((event as S3Event | undefined)?.Records) && (event as S3Event).Records.every((record) => record.eventSource === 'aws:s3');

/**
 * Every five minutes (EventBridge): each enabled source that can list its roster is read when
 * due, resuming a read in progress. And when an HR export lands in the roster bucket (S3): that
 * file is read as the `file` source's roster.
 */
export function createRosterSyncHandler(dependencies: () => ReturnType<typeof rosterContext>) {
  let resolved: ReturnType<typeof rosterContext> | undefined;
  return withPowertools(async (event: unknown, context: Context) => {
    resolved ??= dependencies();
    const deps = resolved;
    const timeLeft = () => context.getRemainingTimeInMillis();
    const outcomes: ScheduledOutcome[] = isS3Event(event)
      ? await readDroppedFiles(event, deps, timeLeft)
      : await runScheduledRosterReads(deps.sources, { ...deps, dependenciesFor: (source, location) => deps.dependenciesFor(source, timeLeft, location) });
    for (const outcome of outcomes) report(outcome);
    return outcomes.map((outcome) => ({ source: outcome.source, outcome: outcome.outcome }));
  }, { coldStartMetric: false });
}

/** Each object created in the roster bucket, read from its start (S3 event keys are URL-encoded, spaces as `+`). */
async function readDroppedFiles(event: S3Event, deps: ReturnType<typeof rosterContext>, timeLeft: () => number): Promise<ScheduledOutcome[]> {
  const outcomes: ScheduledOutcome[] = [];
  for (const record of event.Records) {
    const location = `s3://${record.s3.bucket.name}/${decodeURIComponent(record.s3.object.key.replaceAll('+', ' '))}`;
    outcomes.push({ outcome: 'read', ...(await syncRoster('file', deps.dependenciesFor('file', timeLeft, location), { lockMs: LOCK_MS, location })) });
  }
  return outcomes;
}

function report(outcome: ScheduledOutcome): void {
  if (outcome.outcome === 'read') {
    metrics.addMetric(Metric.rosterChanges(outcome.source), MetricUnit.Count, outcome.changed);
    if (outcome.removalRefused) metrics.addMetric(Metric.RosterRemovalRefused, MetricUnit.Count, 1);
    logger.info('roster read', { source: outcome.source, complete: outcome.complete, pages: outcome.pages, records: outcome.records, changed: outcome.changed, absent: outcome.absent.length, removed: outcome.removed, removalRefused: outcome.removalRefused, problems: outcome.problems });
  } else if (outcome.outcome === 'failed') {
    metrics.addMetric(Metric.RosterReadFailed, MetricUnit.Count, 1);
    logger.error('roster read failed; it resumes at the next tick', { source: outcome.source, error: outcome.error });
  }
}

function rosterContext() {
  const env = readEnvironment();
  const config = shippedConfig(env);
  return {
    sources: rosterSources(config.providers),
    store: new RosterStore(documentClient(), tableName(env, Tables.roster)),
    dependenciesFor: (source: string, timeLeft: () => number, location?: string) => rosterSyncDependencies(env, config, rosterReader(env, config, source, location), timeLeft),
    intervalMinutes: config.roster.intervalMinutes,
    lockMs: LOCK_MS,
    now: () => new Date(),
  };
}

export const handler = createRosterSyncHandler(rosterContext);
