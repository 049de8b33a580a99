import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { receiveWebhook, type IngestDependencies } from '../lib/ingest/receive-webhook.js';
import { ingestDependencies } from '../lib/runtime/ingest-dependencies.js';
import { readEnvironment } from '../lib/runtime/env.js';
import { webhookRoute } from '../lib/runtime/function-url.js';
import { withPowertools } from '../lib/runtime/handler.js';
import { logger, Metric, metrics, MetricUnit } from '../lib/runtime/observability.js';

/** `POST /webhooks/{provider}` at the ingest's function URL: verify, normalize, enqueue; 202 once SQS holds the event. */
export function createIngestHandler(dependencies: () => IngestDependencies) {
  let resolved: IngestDependencies | undefined;
  return withPowertools(async (event: LambdaFunctionURLEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    const route = webhookRoute(event);
    if (!route.matched) {
      // The source address, for whoever looks into requests the URL does not serve (a function URL keeps no access log).
      logger.warn('request refused', { method: event.requestContext.http.method, status: route.status, sourceIp: event.requestContext.http.sourceIp });
      return answer(route.status, { error: route.error });
    }
    const { provider } = route;
    // Signatures cover the exact bytes, so the body is used as it came, never re-serialized.
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    try {
      resolved ??= dependencies();
      const { status, body: answered } = await receiveWebhook(provider, { headers: event.headers, body }, resolved);
      if (status >= 500) {
        // SQS did not take every event; the sender retries the delivery (receive-webhook.ts).
        logger.error('webhook could not be enqueued', { provider, status, reason: answered.error });
      } else if (status >= 400) {
        logger.warn('webhook refused', { provider, status, reason: answered.error, sourceIp: event.requestContext.http.sourceIp });
        metrics.addMetric(Metric.WebhooksRefused, MetricUnit.Count, 1);
      } else {
        logger.info('webhook accepted', { provider, ...answered });
        metrics.addMetric(answered.duplicate ? Metric.WebhooksDuplicate : Metric.WebhooksAccepted, MetricUnit.Count, 1);
      }
      return answer(status, answered);
    } catch (error) {
      logger.error('webhook could not be enqueued', { provider, error });
      return answer(500, { error: 'the event could not be accepted; retry later' });
    }
  }, { coldStartMetric: true });
}

const answer = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export const handler = createIngestHandler(() => ingestDependencies(readEnvironment()));
