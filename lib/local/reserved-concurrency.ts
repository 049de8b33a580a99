import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { INVOCATIONS_PER_SECOND_PER_CONCURRENCY } from '../runtime/function-url.js';
import type { FunctionUrlHandler } from './http-server.js';

/** What a throttled function URL request is answered; the function does not run, nor is it billed. */
const THROTTLED: APIGatewayProxyStructuredResultV2 = {
  statusCode: 429,
  headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' },
  body: JSON.stringify({ message: 'Rate Exceeded.' }),
};

/**
 * A function's reserved concurrency as Lambda enforces it in front of a function URL: at most
 * `limit` invocations at once, and at most INVOCATIONS_PER_SECOND_PER_CONCURRENCY × `limit` started
 * a second (a bucket of that many, refilled continuously: an approximation, since AWS does not say
 * how it counts); a request beyond either is answered 429 and never reaches the handler.
 * `npm start` and the tests put the stack's limits (lib/runtime/function-url.ts) in front of the
 * ingest and SCIM handlers, so a sender that the deployed stack would throttle is throttled here too.
 */
export function withReservedConcurrency(limit: number, handler: FunctionUrlHandler, now: () => number = performance.now.bind(performance)): FunctionUrlHandler {
  const perSecond = limit * INVOCATIONS_PER_SECOND_PER_CONCURRENCY;
  let running = 0;
  let starts = perSecond;
  let refilledAt = now();
  return async (event, context) => {
    const at = now();
    starts = Math.min(perSecond, starts + ((at - refilledAt) / 1000) * perSecond);
    refilledAt = at;
    if (running >= limit || starts < 1) return THROTTLED;
    running++;
    starts--;
    try {
      return await handler(event, context);
    } finally {
      running--;
    }
  };
}
