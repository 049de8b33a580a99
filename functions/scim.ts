import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { ERROR_SCHEMA } from '../lib/scim/schemas.js';
import { handleScimRequest, type ScimDependencies } from '../lib/scim/service.js';
import { readEnvironment } from '../lib/runtime/env.js';
import { scimRoute } from '../lib/runtime/function-url.js';
import { withPowertools } from '../lib/runtime/handler.js';
import { logger, Metric, metrics, MetricUnit } from '../lib/runtime/observability.js';
import { scimDependencies } from '../lib/runtime/scim-dependencies.js';

/** `/v2/{organizationId}/…` at the SCIM function's URL: the SCIM endpoint identity providers push to (lib/scim/service.ts). */
export function createScimHandler(dependencies: () => ScimDependencies) {
  let resolved: ScimDependencies | undefined;
  return withPowertools(async (event: LambdaFunctionURLEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    const method = event.requestContext.http.method;
    const route = scimRoute(event);
    if (!route.matched) {
      logger.warn('scim request refused', { method, status: route.status, sourceIp: event.requestContext.http.sourceIp });
      return scimError(route.status, route.error);
    }
    const { organizationId } = route;
    const request = {
      method,
      path: route.path,
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
      return scimError(500, 'the request could not be handled; retry later');
    }
  }, { coldStartMetric: true });
}

const scimError = (status: number, detail: string): APIGatewayProxyStructuredResultV2 => ({ statusCode: status, headers: { 'content-type': 'application/scim+json' }, body: JSON.stringify({ schemas: [ERROR_SCHEMA], status: String(status), detail }) });

export const handler = createScimHandler(() => scimDependencies(readEnvironment()));
