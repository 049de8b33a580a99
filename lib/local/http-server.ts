import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { localContext } from './lambda-context.js';
import { listenOnLoopback, type LoopbackServer, type RequestTimeouts } from './loopback-server.js';

export type HttpApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The local stand-in for the API Gateway HTTP API: `POST /webhooks/{provider}` (and, given `scim`,
 * any request under `/v2/{organizationId}/`) becomes the same payload-v2 event Lambda receives (raw
 * body, base64, lower-cased headers). `views` are read-only GET routes of the local runtime itself
 * (e.g. `/healthz`).
 */
export function startHttpServer(port: number, ingest: HttpApiHandler, views: Record<string, () => unknown>, timeouts?: RequestTimeouts, scim?: HttpApiHandler): Promise<LoopbackServer> {
  return listenOnLoopback(
    async (request, response) => {
      const result = await route(request, ingest, views, scim);
      response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>).end(result.body ?? '');
    },
    port,
    timeouts,
  );
}

async function route(request: IncomingMessage, ingest: HttpApiHandler, views: Record<string, () => unknown>, scim?: HttpApiHandler): Promise<APIGatewayProxyStructuredResultV2> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const view = request.method === 'GET' ? views[url.pathname] : undefined;
  if (view) return json(200, view());
  // The SCIM endpoint, as the stack's `ANY /v2/{organizationId}/{proxy+}` route passes it.
  const scimPath = scim ? /^\/v2\/([^/]+)\/(.+)$/.exec(url.pathname) : null;
  if (scim && scimPath) {
    const [organizationId, proxy] = [decodePathSegment(scimPath[1]!), decodePathSegment(scimPath[2]!)];
    if (organizationId === null || proxy === null) return json(400, { error: `malformed percent-encoding in the path ${url.pathname}` });
    const event = toEvent(request, url, 'ANY /v2/{organizationId}/{proxy+}', { organizationId, proxy }, await readBody(request));
    return scim(event, localContext('scim', 10));
  }
  const webhook = request.method === 'POST' ? /^\/webhooks\/([^/]+)\/?$/.exec(url.pathname) : null;
  if (!webhook) return json(404, { error: `no route for ${request.method} ${url.pathname}; webhooks go to POST /webhooks/{provider}` });
  const provider = decodePathSegment(webhook[1]!);
  if (provider === null) return json(400, { error: `malformed percent-encoding in the path ${url.pathname}` });
  const body = await readBody(request);
  return ingest(toEvent(request, url, 'POST /webhooks/{provider}', { provider }, body), localContext('ingest', 10));
}

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** A path parameter as API Gateway passes it: decoded, or null when its percent-encoding is malformed (e.g. `%E0%A4%A`). */
function decodePathSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    if (error instanceof URIError) return null;
    throw error;
  }
}

function toEvent(request: IncomingMessage, url: URL, routeKey: string, pathParameters: Record<string, string>, body: Buffer): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  // API Gateway says how the client reached it; locally, plain HTTP on the host the client named.
  headers['x-forwarded-proto'] = 'http';
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    pathParameters,
    isBase64Encoded: true,
    body: body.toString('base64'),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? url.host,
      domainPrefix: 'local',
      http: { method: request.method ?? 'GET', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: request.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
