import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityProviderNames, type IdentityProviderName } from '../../lib/config/schema.js';
import { scimKeysVariable } from '../../lib/scim/auth.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/**
 * Every identity provider's requests (test/fixtures/scim/<provider>.json, written from its own
 * documentation) replayed against the running product, in the order an admin's actions cause
 * them: each answer as SCIM says, and each change ending in the Bitwarden writes it should cause,
 * one per change, through the queue and the worker like an HR webhook.
 */

interface FixtureRequest {
  documentation: string;
  method: string;
  path: string;
  body?: unknown;
  status: number;
  totalResults?: number;
  capture?: Record<string, string>;
  bitwarden?: string[];
}
interface Fixture {
  provider: IdentityProviderName;
  headers: Record<string, string>;
  requests: FixtureRequest[];
}

const ORGANIZATION = 'b1c2d3e4-0000-4000-8000-00000000beef';
const keys = Object.fromEntries(identityProviderNames.map((provider) => [provider, `test-scim-key-${provider}-${'x'.repeat(24)}`])) as Record<IdentityProviderName, string>;

// The guard would hold the tenth revocation of a small organization: here every provider's leavers are revoked at once.
const config = `
policy:
  massRevocationGuard: { maxRevocations: 100, maxShareOfOrganization: null }
scim:
  identityProviders: [okta, entra, onelogin, jumpcloud, ping]
rules:
  - id: everyone
    groups: [All Staff]
  - id: engineering
    match: { department: Engineering }
    groups: [Engineering]
  - id: sales
    match: { department: Sales }
    groups: [Sales]
  - id: vault-admins
    match: { groups: "Vault Admins*" }
    groups: [Vault Admins]
`;

let runtime: TestRuntime;
beforeAll(async () => {
  // The second key of each provider is the old one of a rotation: both are accepted.
  for (const provider of identityProviderNames) process.env[scimKeysVariable(provider)] = `old-${keys[provider]} ${keys[provider]}`;
  runtime = await startTestRuntime(config);
}, 60_000);
afterAll(async () => {
  await runtime?.stop();
  for (const provider of identityProviderNames) delete process.env[scimKeysVariable(provider)];
});

const fill = (text: string, captured: Record<string, string>) => text.replace(/\{(\w+)\}/g, (whole, name: string) => captured[name] ?? whole);

async function send(provider: IdentityProviderName, method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; key?: string | null } = {}) {
  const key = options.key === undefined ? keys[provider] : options.key;
  const response = await fetch(`${runtime.url}/v2/${ORGANIZATION}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(options.body === undefined ? {} : { 'content-type': 'application/scim+json' }), ...options.headers },
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, any> | undefined };
}

const fixtures = identityProviderNames.map((provider) => JSON.parse(readFileSync(`test/fixtures/scim/${provider}.json`, 'utf8')) as Fixture);

describe.each(fixtures)('$provider, through the SCIM endpoint', ({ provider, headers, requests }) => {
  it('answers each documented request, and each change makes its Bitwarden writes, one per change', async () => {
    const captured: Record<string, string> = {};
    for (const request of requests) {
      const bitwarden = runtime.bitwarden!;
      const before = bitwarden.writes().length;
      const body = request.body === undefined ? undefined : JSON.parse(fill(JSON.stringify(request.body), captured));
      // A change is applied when the worker has processed this provider's message for it.
      const applied = request.bitwarden ? runtime.processedCount(1, (message) => message.provider === provider) : null;
      const response = await send(provider, request.method, fill(request.path, captured), { body, headers });
      expect(response.status, `${request.method} ${request.path}: ${request.documentation}\n${JSON.stringify(response.body)}`).toBe(request.status);
      if (response.status < 300 && response.body) expect(response.headers.get('content-type')).toMatch(/^application\/scim\+json/);
      if (request.totalResults !== undefined) expect(response.body!.totalResults, request.documentation).toBe(request.totalResults);
      for (const [name, attribute] of Object.entries(request.capture ?? {})) captured[name] = response.body![attribute] as string;
      if (response.status === 201) expect(response.headers.get('location')).toBe(`${runtime.url}/v2/${ORGANIZATION}${request.path}/${response.body!.id}`);
      await applied;
      expect(bitwarden.writes().slice(before).map((exchange) => `${exchange.method} ${exchange.route}`), request.documentation).toEqual(request.bitwarden ?? []);
    }
    // Every user the provider created ends revoked: unassigned, or deleted and never removed (policy.onWorkerRemoved: revoke).
    const emails = requests.filter((request) => request.method === 'POST' && request.path === '/Users').map((request) => (request.body as { userName: string }).userName);
    for (const email of emails) {
      const member = bitwarden().allMembers().find((candidate) => candidate.email === email);
      expect(member, email).toBeDefined();
      expect(member!.status, email).toBe(-1);
    }
  });
});

const bitwarden = () => runtime.bitwarden!;

describe('the SCIM endpoint', () => {
  it('gives rules the provider\'s attributes and pushed groups, and creates no Bitwarden group the rules do not name', async () => {
    const applied = runtime.processedCount(1, (message) => message.provider === 'okta');
    const created = await send('okta', 'POST', '/Users', {
      body: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'noor.rules@example.com',
        externalId: '00urules1',
        emails: [{ value: 'noor.rules@example.com', primary: true }],
        title: 'Engineer',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Engineering', costCenter: 'CC-9' },
        active: true,
      },
    });
    expect(created.status).toBe(201);
    await applied;
    const writesBefore = bitwarden().writes().length;
    const pushed = runtime.processedCount(1, (message) => message.provider === 'okta' && message.workerKey === '00urules1');
    const group = await send('okta', 'POST', '/Groups', { body: { displayName: 'Finance Approvers', members: [{ value: created.body!.id }] } });
    expect(group.status).toBe(201);
    expect(group.body!.members).toEqual([expect.objectContaining({ value: created.body!.id, display: 'noor.rules@example.com' })]);
    await pushed;
    // The record carries the pushed group, but no rule names it: no group is created, no membership changes.
    const member = bitwarden().memberByExternalId('00urules1')!;
    expect(member.groupNames.sort()).toEqual(['All Staff', 'Engineering']);
    expect(bitwarden().groupByName('Finance Approvers')).toBeUndefined();
    expect(bitwarden().writes().slice(writesBefore)).toEqual([]);
    const user = await send('okta', 'GET', `/Users/${created.body!.id}`);
    expect(user.body!.groups).toEqual([expect.objectContaining({ value: group.body!.id, display: 'Finance Approvers' })]);
  });

  it('refuses a request without one of the keys, and another provider\'s resources are not visible to a key', async () => {
    const missing = await send('okta', 'GET', '/Users', { key: null });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
    expect((await send('okta', 'GET', '/Users', { key: 'wrong-key' })).status).toBe(401);
    // The old key of the rotation still works, with or without the Bearer prefix.
    const old = await fetch(`${runtime.url}/v2/${ORGANIZATION}/Users?filter=userName%20eq%20%22noor.rules%40example.com%22`, { headers: { authorization: `old-${keys.okta}` } });
    expect(((await old.json()) as { totalResults: number }).totalResults).toBe(1);
    const elsewhere = await send('entra', 'GET', '/Users?filter=userName%20eq%20%22noor.rules%40example.com%22');
    expect(elsewhere.body!.totalResults).toBe(0);
  });

  it('refuses bodies it cannot map with a SCIM error naming the attribute, and writes nothing', async () => {
    const depth = await runtime.queueDepth();
    const cases: Array<[unknown, string, string]> = [
      [{ userName: 'x@example.com', active: 'maybe' }, 'invalidValue', 'active'],
      [{ userName: 'x@example.com', emails: 'x@example.com' }, 'invalidValue', 'emails'],
      [{ userName: 'no-address', active: true }, 'invalidValue', 'emails'],
      [{ emails: [{ value: 'x@example.com' }] }, 'invalidValue', 'userName'],
      [{ userName: 'x@example.com', title: 'x'.repeat(300) }, 'invalidValue', 'title'],
      [{ userName: 'x@example.com', externalId: 'has spaces' }, 'invalidValue', 'externalId'],
      ['{"userName":', 'invalidSyntax', 'JSON'],
    ];
    for (const [body, scimType, named] of cases) {
      const response = await send('ping', 'POST', '/Users', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType });
      expect(response.body!.detail).toContain(named);
    }
    const filter = await send('ping', 'GET', '/Users?filter=userName%20eq');
    expect(filter.body).toMatchObject({ status: '400', scimType: 'invalidFilter' });
    expect((await send('ping', 'GET', '/Users')).body!.totalResults).toBe(0);
    // An id holding an encoded slash is one id, looked up as such: not a path of two segments, and not decoded twice.
    expect((await send('ping', 'GET', '/Users/a%2Fb')).body).toMatchObject({ status: '404', detail: 'User not found.' });
    expect((await send('ping', 'GET', '/Users/a%252Fb')).body).toMatchObject({ status: '404', detail: 'User not found.' });
    expect(await runtime.queueDepth()).toBe(depth);
  });

  it('answers 409 to a second user with the same userName, and serves the discovery documents', async () => {
    const body = { userName: 'twice@example.com', emails: [{ value: 'twice@example.com' }], active: true };
    const first = runtime.processedCount(1, (message) => message.provider === 'onelogin');
    expect((await send('onelogin', 'POST', '/Users', { body })).status).toBe(201);
    await first;
    const again = await send('onelogin', 'POST', '/Users', { body: { ...body, userName: 'TWICE@example.com' } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ scimType: 'uniqueness' });

    const config = await send('okta', 'GET', '/ServiceProviderConfig', { key: null });
    expect(config.body).toMatchObject({ patch: { supported: true }, filter: { supported: true }, bulk: { supported: false } });
    const types = await send('okta', 'GET', '/ResourceTypes', { key: null });
    expect(types.body!.Resources.map((type: { name: string }) => type.name)).toEqual(['User', 'Group']);
    const schemas = await send('okta', 'GET', '/Schemas', { key: null });
    expect(schemas.body!.Resources.map((schema: { id: string }) => schema.id)).toContain('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User');
  });
});
