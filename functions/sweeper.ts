import { sweep, type SweepDependencies } from '../lib/lifecycle/sweep.js';
import { sweepDependencies } from '../lib/runtime/dependencies.js';
import { readEnvironment } from '../lib/runtime/env.js';
import { withPowertools } from '../lib/runtime/handler.js';
import { logger, Metric, metrics, MetricUnit } from '../lib/runtime/observability.js';

/** Every minute (EventBridge; `npm start`: every SWEEP_INTERVAL_SECONDS): re-evaluate the workers whose decision is due. */
export function createSweeperHandler(dependencies: () => SweepDependencies) {
  let resolved: SweepDependencies | undefined;
  return withPowertools(async () => {
    resolved ??= dependencies();
    const result = await sweep(resolved);
    metrics.addMetric(Metric.SweepDue, MetricUnit.Count, result.due);
    if (result.due > 0 || result.released > 0) logger.info('sweep enqueued re-evaluations', result);
    return result;
  }, { coldStartMetric: false });
}

export const handler = createSweeperHandler(() => sweepDependencies(readEnvironment()));
