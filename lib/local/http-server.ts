import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyStructuredResultV2, Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { SCIM_PREFIX } from '../runtime/function-url.js';
import { localContext } from './lambda-context.js';
import { listenOnLoopback, type LoopbackServer, type RequestTimeouts } from './loopback-server.js';

export type FunctionUrlHandler = (event: LambdaFunctionURLEvent, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The local stand-in for the stack's two Lambda function URLs, on one port: a request under
 * `/v2/` goes to `scim` (when given), any other to `ingest`, as the same payload-v2 event Lambda
 * receives (the path as sent, raw body, base64, lower-cased headers); each handler routes its own
 * (lib/runtime/function-url.ts). `views` are read-only GET routes of the local runtime itself
 * (e.g. `/healthz`).
 */
export function startHttpServer(port: number, ingest: FunctionUrlHandler, views: Record<string, () => unknown>, timeouts?: RequestTimeouts, scim?: FunctionUrlHandler): Promise<LoopbackServer> {
  return listenOnLoopback(
    async (request, response) => {
      const result = await route(request, ingest, views, scim);
      response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>).end(result.body ?? '');
    },
    port,
    timeouts,
  );
}

async function route(request: IncomingMessage, ingest: FunctionUrlHandler, views: Record<string, () => unknown>, scim?: FunctionUrlHandler): Promise<APIGatewayProxyStructuredResultV2> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const view = request.method === 'GET' ? views[url.pathname] : undefined;
  if (view) return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(view()) };
  const event = toEvent(request, url, await readBody(request));
  return scim && url.pathname.startsWith(SCIM_PREFIX) ? scim(event, localContext('scim', 10)) : ingest(event, localContext('ingest', 10));
}

function toEvent(request: IncomingMessage, url: URL, body: Buffer): LambdaFunctionURLEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  // A function URL says how the client reached it; locally, plain HTTP on the host the client named.
  headers['x-forwarded-proto'] = 'http';
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    isBase64Encoded: true,
    body: body.toString('base64'),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: headers.host ?? url.host,
      domainPrefix: 'local',
      http: { method: request.method ?? 'GET', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: request.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
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
