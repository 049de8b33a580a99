import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { receiveWebhook, type IngestDependencies } from '../lib/ingest/receive-webhook.js';
import { ingestDependencies } from '../lib/runtime/ingest-dependencies.js';
import { readEnvironment } from '../lib/runtime/env.js';
import { withPowertools } from '../lib/runtime/handler.js';
import { logger, Metric, metrics, MetricUnit } from '../lib/runtime/observability.js';

/** `POST /webhooks/{provider}`: verify, normalize, enqueue; 202 once SQS holds the event. */
export function createIngestHandler(dependencies: () => IngestDependencies) {
  let resolved: IngestDependencies | undefined;
  return withPowertools(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const provider = event.pathParameters?.provider ?? '';
    // Signatures cover the exact bytes, so the body is used as it came, never re-serialized.
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    try {
      resolved ??= dependencies();
      const { status, body: answer } = await receiveWebhook(provider, { headers: event.headers, body }, resolved);
      if (status >= 500) {
        // SQS did not take every event; the sender retries the delivery (receive-webhook.ts).
        logger.error('webhook could not be enqueued', { provider, status, reason: answer.error });
      } else if (status >= 400) {
        logger.warn('webhook refused', { provider, status, reason: answer.error });
        metrics.addMetric(Metric.WebhooksRefused, MetricUnit.Count, 1);
      } else {
        logger.info('webhook accepted', { provider, ...answer });
        metrics.addMetric(answer.duplicate ? Metric.WebhooksDuplicate : Metric.WebhooksAccepted, MetricUnit.Count, 1);
      }
      return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer) };
    } catch (error) {
      logger.error('webhook could not be enqueued', { provider, error });
      return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'the event could not be accepted; retry later' }) };
    }
  }, { coldStartMetric: true });
}

export const handler = createIngestHandler(() => ingestDependencies(readEnvironment()));
