import type { Context } from 'aws-lambda';
import { runScheduledRosterReads } from '../lib/roster/scheduled.js';
import { rosterSources, rosterSyncDependencies, shippedConfig } from '../lib/runtime/dependencies.js';
import { readEnvironment } from '../lib/runtime/env.js';
import { withPowertools } from '../lib/runtime/handler.js';
import { logger, Metric, metrics, MetricUnit } from '../lib/runtime/observability.js';

/** Longer than this function may run (15 minutes), so a crashed invocation's read is resumed by the next tick after it. */
const LOCK_MS = 16 * 60_000;

/** Every few minutes (EventBridge): each enabled source that can list its roster is read when due, resuming a read in progress. */
export function createRosterSyncHandler(dependencies: () => ReturnType<typeof rosterTick>) {
  let resolved: ReturnType<typeof rosterTick> | undefined;
  return withPowertools(async (_event: unknown, context: Context) => {
    resolved ??= dependencies();
    const outcomes = await runScheduledRosterReads(resolved.sources, { ...resolved, dependenciesFor: (source) => resolved!.dependenciesFor(source, () => context.getRemainingTimeInMillis()) });
    for (const outcome of outcomes) {
      if (outcome.outcome === 'read') {
        metrics.addMetric(Metric.rosterChanges(outcome.source), MetricUnit.Count, outcome.changed);
        if (outcome.removalRefused) metrics.addMetric(Metric.RosterRemovalRefused, MetricUnit.Count, 1);
        logger.info('roster read', { source: outcome.source, complete: outcome.complete, pages: outcome.pages, records: outcome.records, changed: outcome.changed, absent: outcome.absent.length, removed: outcome.removed, removalRefused: outcome.removalRefused, problems: outcome.problems.length });
      } else if (outcome.outcome === 'failed') {
        metrics.addMetric(Metric.RosterReadFailed, MetricUnit.Count, 1);
        logger.error('roster read failed; it resumes at the next tick', { source: outcome.source, error: outcome.error });
      }
    }
    return outcomes.map((outcome) => ({ source: outcome.source, outcome: outcome.outcome }));
  }, { coldStartMetric: false });
}

function rosterTick() {
  const env = readEnvironment();
  const config = shippedConfig(env);
  return {
    sources: rosterSources(config),
    dependenciesFor: (source: string, timeLeft: () => number) => rosterSyncDependencies(env, config, source, timeLeft),
    intervalMinutes: config.roster.intervalMinutes,
    lockMs: LOCK_MS,
    now: () => new Date(),
  };
}

export const handler = createRosterSyncHandler(rosterTick);
