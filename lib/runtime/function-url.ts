import type { LambdaFunctionURLEvent } from 'aws-lambda';

/**
 * The paths the stack's Lambda function URLs serve (cdk/lifecycle-stack.ts). A function URL hands
 * its function every request, with the path as it was sent (still percent-encoded), so each handler
 * routes its own; `npm start` serves both from one port (lib/local/http-server.ts).
 */
export type Route<T> = ({ matched: true } & T) | { matched: false; status: 400 | 404; error: string };

const WEBHOOK = /^\/webhooks\/([^/]+)\/?$/;
const SCIM = /^\/v2\/([^/]+)\/(.+)$/;

/**
 * The reserved concurrency of the two functions behind the URLs (cdk/lifecycle-stack.ts), which is
 * their throttle: Lambda runs at most this many at once and starts at most
 * INVOCATIONS_PER_SECOND_PER_CONCURRENCY times as many a second, and answers 429 beyond either,
 * without running the function (`npm start` does the same: lib/local/reserved-concurrency.ts).
 * The ingest's 100 admit 1,000 webhooks a second, so an HR system's burst is not throttled: a
 * termination in it would wait for the sender's retry, or be lost where the sender does not retry a
 * 4xx (docs/reference/hris-webhooks.md: BambooHR, Merge). Why 100, and what a flood costs:
 * docs/design.md, decision 19.
 */
export const ReservedConcurrency = { ingest: 100, scim: 5 } as const;

/** Invocations Lambda starts a second for each unit of reserved concurrency (its invocation rate limit). */
export const INVOCATIONS_PER_SECOND_PER_CONCURRENCY = 10;

/** Requests under this prefix go to the SCIM function, as Bitwarden's own SCIM URLs are laid out. */
export const SCIM_PREFIX = '/v2/';

/** `POST /webhooks/{provider}`: the provider's name, decoded. */
export function webhookRoute(event: LambdaFunctionURLEvent): Route<{ provider: string }> {
  const { method } = event.requestContext.http;
  const match = method === 'POST' ? WEBHOOK.exec(event.rawPath) : null;
  if (!match) return { matched: false, status: 404, error: `no route for ${method} ${event.rawPath}; webhooks go to POST /webhooks/{provider}` };
  const provider = decodeSegment(match[1]!);
  return provider === null ? malformed(event.rawPath) : { matched: true, provider };
}

/**
 * `/v2/{organizationId}/{path}`: Bitwarden's SCIM paths, the organization id decoded, the rest as sent:
 * the SCIM service splits it, then decodes each segment, so an id holding an encoded `/` stays one.
 */
export function scimRoute(event: LambdaFunctionURLEvent): Route<{ organizationId: string; path: string }> {
  const match = SCIM.exec(event.rawPath);
  if (!match) return { matched: false, status: 404, error: `no SCIM resource at ${event.rawPath}; the SCIM URL is /v2/{organizationId}` };
  const organizationId = decodeSegment(match[1]!);
  return organizationId === null ? malformed(event.rawPath) : { matched: true, organizationId, path: `/${match[2]}` };
}

const malformed = (rawPath: string) => ({ matched: false as const, status: 400 as const, error: `malformed percent-encoding in the path ${rawPath}` });

/** A path segment decoded, or null when its percent-encoding is malformed (e.g. `%E0%A4%A`). */
function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    if (error instanceof URIError) return null;
    throw error;
  }
}
