import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { sweep, type SweepDependencies } from '../lib/lifecycle/sweep.js';
import { sweepDependencies } from '../lib/runtime/dependencies.js';
import { logger, Metric, metrics, MetricUnit, tracer } from '../lib/runtime/observability.js';

/** Every minute (EventBridge; `npm start`: every SWEEP_INTERVAL_SECONDS): re-evaluate the workers whose decision is due. */
export function createSweeperHandler(dependencies: () => SweepDependencies) {
  let resolved: SweepDependencies | undefined;
  return middy(async () => {
    resolved ??= dependencies();
    const result = await sweep(resolved);
    metrics.addMetric(Metric.SweepDue, MetricUnit.Count, result.due);
    if (result.due > 0 || result.released > 0) logger.info('sweep enqueued re-evaluations', result);
    return result;
  })
    .use(injectLambdaContext(logger))
    .use(captureLambdaHandler(tracer))
    .use(logMetrics(metrics));
}

export const handler = createSweeperHandler(() => sweepDependencies());
