import { reconcile, type ReconcileDependencies } from '../lib/reconcile/reconcile.js';
import { shippedConfig } from '../lib/runtime/dependencies.js';
import { reconcileWithRosters } from '../lib/runtime/reconcile-dependencies.js';
import { readEnvironment } from '../lib/runtime/env.js';
import { withPowertools } from '../lib/runtime/handler.js';
import { logger, Metric, metrics, MetricUnit } from '../lib/runtime/observability.js';

/** Daily: compares Bitwarden with HR, publishes drift counts, and corrects drift when policy.reconcile is `apply`. */
export function createReconcilerHandler(dependencies: () => ReconcileDependencies) {
  let resolved: ReconcileDependencies | undefined;
  return withPowertools(async () => {
    resolved ??= dependencies();
    const result = await reconcile(resolved, { apply: resolved.policy.reconcile === 'apply' });
    metrics.addMetric(Metric.Drift, MetricUnit.Count, result.drift.length);
    for (const [kind, count] of Object.entries(result.counts)) metrics.addMetric(`Drift_${kind}`, MetricUnit.Count, count);
    logger.info('reconciliation', { workers: result.workers, members: result.members, counts: result.counts, corrected: result.corrected.length });
    return { counts: result.counts, corrected: result.corrected.length };
  }, { coldStartMetric: false });
}

export const handler = createReconcilerHandler(() => {
  const env = readEnvironment();
  return reconcileWithRosters(env, shippedConfig(env));
});
