import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { scimRoute, webhookRoute } from '../../lib/runtime/function-url.js';

/** A request as a function URL hands it over: the path as sent, still percent-encoded. */
const request = (method: string, rawPath: string) => ({ rawPath, requestContext: { http: { method } } }) as LambdaFunctionURLEvent;

describe('the function URLs’ routes', () => {
  it('POST /webhooks/{provider}: the provider decoded, a trailing slash allowed', () => {
    expect(webhookRoute(request('POST', '/webhooks/generic'))).toEqual({ matched: true, provider: 'generic' });
    expect(webhookRoute(request('POST', '/webhooks/hi%62ob/'))).toEqual({ matched: true, provider: 'hibob' });
  });

  it('answers 404 for another method or path, and 400 for malformed percent-encoding, naming the path', () => {
    expect(webhookRoute(request('GET', '/webhooks/generic'))).toEqual({ matched: false, status: 404, error: 'no route for GET /webhooks/generic; webhooks go to POST /webhooks/{provider}' });
    expect(webhookRoute(request('POST', '/webhooks/generic/extra'))).toMatchObject({ matched: false, status: 404 });
    expect(webhookRoute(request('POST', '/'))).toMatchObject({ matched: false, status: 404 });
    expect(webhookRoute(request('POST', '/webhooks/%E0%A4%A'))).toEqual({ matched: false, status: 400, error: 'malformed percent-encoding in the path /webhooks/%E0%A4%A' });
  });

  it('/v2/{organizationId}/…: Bitwarden’s SCIM paths, the organization decoded and the rest as sent (the service decodes it segment by segment), any method', () => {
    expect(scimRoute(request('PATCH', '/v2/3fa85f64-5717-4562-b3fc-2c963f66afa6/Users/a%20b'))).toEqual({ matched: true, organizationId: '3fa85f64-5717-4562-b3fc-2c963f66afa6', path: '/Users/a%20b' });
    // An encoded slash inside an id is not a path separator.
    expect(scimRoute(request('GET', '/v2/org/Users/a%2Fb'))).toEqual({ matched: true, organizationId: 'org', path: '/Users/a%2Fb' });
    expect(scimRoute(request('GET', '/v2/org'))).toMatchObject({ matched: false, status: 404 });
    expect(scimRoute(request('GET', '/v2/%E0%A4%A/Users'))).toMatchObject({ matched: false, status: 400 });
  });
});
