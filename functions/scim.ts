import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ERROR_SCHEMA } from '../lib/scim/schemas.js';
import { handleScimRequest, type ScimDependencies } from '../lib/scim/service.js';
import { readEnvironment } from '../lib/runtime/env.js';
import { withPowertools } from '../lib/runtime/handler.js';
import { logger, Metric, metrics, MetricUnit } from '../lib/runtime/observability.js';
import { scimDependencies } from '../lib/runtime/scim-dependencies.js';

/** `ANY /v2/{organizationId}/{proxy+}`: the SCIM endpoint identity providers push to (lib/scim/service.ts). */
export function createScimHandler(dependencies: () => ScimDependencies) {
  let resolved: ScimDependencies | undefined;
  return withPowertools(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const organizationId = event.pathParameters?.organizationId ?? '';
    const method = event.requestContext.http.method;
    const request = {
      method,
      path: `/${event.pathParameters?.proxy ?? ''}`,
      query: new URLSearchParams(event.rawQueryString),
      headers: event.headers,
      body: Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8'),
      baseUrl: `${event.headers['x-forwarded-proto'] ?? 'https'}://${event.requestContext.domainName}/v2/${encodeURIComponent(organizationId)}`,
    };
    try {
      resolved ??= dependencies();
      const response = await handleScimRequest(request, resolved);
      // Method, status and provider only: paths carry ids, bodies carry people.
      const fields = { method, status: response.status, provider: response.provider };
      if (response.status >= 400) {
        logger.warn('scim request refused', { ...fields, scimType: response.body?.scimType });
        metrics.addMetric(Metric.ScimRefused, MetricUnit.Count, 1);
      } else {
        logger.info('scim request answered', fields);
      }
      return { statusCode: response.status, headers: response.headers, body: response.body ? JSON.stringify(response.body) : '' };
    } catch (error) {
      logger.error('scim request failed', { method, error });
      return { statusCode: 500, headers: { 'content-type': 'application/scim+json' }, body: JSON.stringify({ schemas: [ERROR_SCHEMA], status: '500', detail: 'the request could not be handled; retry later' }) };
    }
  }, { coldStartMetric: true });
}

export const handler = createScimHandler(() => scimDependencies(readEnvironment()));
