import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, metrics } from './observability.js';

/** A handler the way every one of ours runs: logs with the Lambda context, and its metrics flushed per invocation. */
export function withPowertools<Event, Result>(handler: (event: Event, context: Context) => Promise<Result>, options: { coldStartMetric: boolean }) {
  return middy(handler)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: options.coldStartMetric }));
}
