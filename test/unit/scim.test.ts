import { describe, expect, it } from 'vitest';
import { LocalRateBudget } from '../../lib/bitwarden/rate-budget.js';
import type { WorkerEventMessage } from '../../lib/queue/message.js';
import { PublishIncomplete } from '../../lib/queue/publisher.js';
import { handleScimRequest, type ScimDependencies } from '../../lib/scim/service.js';
import { ScimVersionConflict, type ScimResourceStore, type StoredScimResource } from '../../lib/store/scim-resources.js';
import { authenticate, bearerKey, scimPace, spendRequest } from '../../lib/scim/auth.js';
import { ScimError } from '../../lib/scim/errors.js';
import { matches, parseFilter, parsePath } from '../../lib/scim/filter.js';
import { applyPatch } from '../../lib/scim/patch.js';
import { canonicalResource } from '../../lib/scim/resources.js';
import { ENTERPRISE_USER_SCHEMA, resourceTypes } from '../../lib/scim/schemas.js';
import { workEmailOf, workerRecordOf } from '../../lib/scim/worker-mapping.js';

const user = {
  id: 'u1',
  userName: 'Ann.Lee@example.com',
  externalId: 'AbC-1',
  active: true,
  title: 'Engineer',
  emails: [
    { value: 'ann@home.example', type: 'home' },
    { value: 'ann.lee@example.com', type: 'work' },
  ],
  [ENTERPRISE_USER_SCHEMA]: { department: 'Engineering' },
  meta: { lastModified: '2026-01-02T00:00:00Z' },
};

/** The SCIM error a call throws, as status, scimType and detail. */
function refusal(call: () => unknown): { status: number; scimType: string | null; detail: string } {
  try {
    call();
  } catch (error) {
    if (error instanceof ScimError) return { status: error.status, scimType: error.scimType, detail: error.detail };
    throw error;
  }
  throw new Error('expected a ScimError');
}

describe('SCIM filters (RFC 7644 §3.4.2.2)', () => {
  const filtered = (text: string) => matches(user, parseFilter(text));

  it('compare attribute names and operators ignoring case, and strings ignoring case except id and externalId', () => {
    expect(filtered('USERNAME EQ "ann.lee@EXAMPLE.com"')).toBe(true);
    expect(filtered('externalId eq "abc-1"')).toBe(false);
    expect(filtered('externalId eq "AbC-1"')).toBe(true);
    expect(filtered('title sw "eng" and title ew "EER" and title co "gin"')).toBe(true);
    expect(filtered('active eq true')).toBe(true);
    expect(filtered('meta.lastModified gt "2026-01-01T00:00:00Z"')).toBe(true);
  });

  it('give not and parentheses precedence over and, and and over or', () => {
    expect(filtered('title eq "x" or title eq "Engineer" and active eq false')).toBe(false);
    expect(filtered('(title eq "x" or title eq "Engineer") and active eq true')).toBe(true);
    expect(filtered('not (title eq "Engineer")')).toBe(false);
    expect(filtered('nickName pr or title pr')).toBe(true);
  });

  it('read value filters, a sub-attribute after them (Entra ID), and URN-qualified names', () => {
    expect(filtered('emails[type eq "work"].value eq "ANN.LEE@example.com"')).toBe(true);
    expect(filtered('emails[type eq "work" and value co "home"]')).toBe(false);
    expect(filtered('emails.value eq "ann@home.example"')).toBe(true);
    expect(filtered(`${ENTERPRISE_USER_SCHEMA}:department eq "engineering"`)).toBe(true);
  });

  it('a random filter (Entra ID\'s validation probe) matches nobody; a filter that cannot be read is a 400 invalidFilter naming it', () => {
    expect(filtered('userName eq "e0a6a6a2-6cf0-4ad8-9a0c-3e4b0f1c2d3e"')).toBe(false);
    for (const text of ['userName eq', 'userName equals "x"', '(userName eq "x"', 'userName eq "x" extra', 'userName eq "unterminated', 'userName eq bare']) {
      expect(refusal(() => parseFilter(text)), text).toMatchObject({ status: 400, scimType: 'invalidFilter' });
    }
    expect(refusal(() => parseFilter('userName eq'))).toMatchObject({ detail: expect.stringContaining('userName eq') });
  });

  it('read nothing inherited: constructor matches nothing, and __proto__ is no attribute name', () => {
    expect(filtered('constructor pr')).toBe(false);
    expect(filtered('toString eq "x"')).toBe(false);
    expect(refusal(() => parseFilter('__proto__ pr'))).toMatchObject({ scimType: 'invalidFilter' });
  });
});

describe('SCIM PATCH (RFC 7644 §3.5.2)', () => {
  const base = canonicalResource(resourceTypes.User, user);
  const patch = (...Operations: unknown[]) => applyPatch(resourceTypes.User, base, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations });

  it('takes Okta\'s path-less replace of active, as a boolean or a string', () => {
    expect(patch({ op: 'replace', value: { active: false } }).active).toBe(false);
    expect(patch({ op: 'replace', value: { active: 'False' } }).active).toBe(false);
    expect(patch({ op: 'Replace', path: 'active', value: 'true' }).active).toBe(true);
  });

  it('takes Entra ID\'s forms: capitalised ops, value-filter paths, URN paths, dotted names in a path-less value, a manager as its id', () => {
    const result = patch(
      { op: 'Add', path: 'emails[type eq "work"].value', value: 'new@example.com' },
      { op: 'Replace', path: `${ENTERPRISE_USER_SCHEMA}:department`, value: 'Sales' },
      { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' },
      { op: 'replace', value: { 'name.givenName': 'Ann', displayName: 'Ann Lee' } },
      { op: 'Add', path: `${ENTERPRISE_USER_SCHEMA}:manager`, value: 'mgr-7' },
    );
    expect(result.emails).toEqual([
      { value: 'ann@home.example', type: 'home' },
      { value: 'new@example.com', type: 'work' },
    ]);
    expect(result.phoneNumbers).toEqual([{ type: 'mobile', value: '+1 555 0100' }]);
    expect(result.name).toEqual({ givenName: 'Ann' });
    expect(result.displayName).toBe('Ann Lee');
    expect(result[ENTERPRISE_USER_SCHEMA]).toEqual({ department: 'Sales', manager: { value: 'mgr-7' } });
  });

  it('adds and removes group members by value, by a list or by a filter, and never duplicates one', () => {
    const group = canonicalResource(resourceTypes.Group, { displayName: 'Admins', members: [{ value: 'a' }, { value: 'b' }] });
    const patchGroup = (...Operations: unknown[]) => applyPatch(resourceTypes.Group, group, { Operations });
    expect(patchGroup({ op: 'add', path: 'members', value: [{ value: 'b' }, { value: 'c' }] }).members).toEqual([{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    expect(patchGroup({ op: 'Remove', path: 'members', value: [{ $ref: null, value: 'a' }] }).members).toEqual([{ value: 'b' }]);
    expect(patchGroup({ op: 'remove', path: 'members[value eq "b"]' }).members).toEqual([{ value: 'a' }]);
    expect(patchGroup({ op: 'add', path: 'members[value eq "z"]' }).members).toEqual([{ value: 'a' }, { value: 'b' }, { value: 'z' }]);
    expect(patchGroup({ op: 'replace', path: 'members', value: [{ value: 'q' }] }).members).toEqual([{ value: 'q' }]);
    expect(patchGroup({ op: 'remove', path: 'members' }).members).toBeUndefined();
  });

  it('refuses what it cannot apply with a 400 naming the operation or the attribute, and changes nothing', () => {
    const before = structuredClone(base);
    expect(refusal(() => applyPatch(resourceTypes.User, base, { Operations: [] }))).toMatchObject({ scimType: 'invalidSyntax', detail: expect.stringContaining('Operations') });
    expect(refusal(() => patch({ op: 'merge', path: 'title', value: 'x' }))).toMatchObject({ scimType: 'invalidSyntax', detail: expect.stringContaining('Operations[0].op') });
    expect(refusal(() => patch({ op: 'remove' }))).toMatchObject({ scimType: 'noTarget' });
    expect(refusal(() => patch({ op: 'replace', path: 'title[value eq "x"]', value: 'x' }))).toMatchObject({ scimType: 'invalidPath', detail: expect.stringContaining('Operations[0].path') });
    expect(refusal(() => patch({ op: 'replace', path: 'active', value: 'maybe' }))).toMatchObject({ scimType: 'invalidValue', detail: 'active: must be true or false' });
    expect(refusal(() => patch({ op: 'replace', path: 'name.givenName', value: 7 }))).toMatchObject({ scimType: 'invalidValue', detail: 'name.givenName: must be a string' });
    expect(refusal(() => patch({ op: 'remove', path: 'userName' }))).toMatchObject({ scimType: 'invalidValue', detail: 'userName: is required' });
    expect(base).toEqual(before);
  });

  it('leaves read-only and unknown attributes alone', () => {
    const result = patch({ op: 'replace', path: 'groups', value: [{ value: 'g' }] }, { op: 'add', path: 'urn:example:custom:2.0:User:badge', value: '7' });
    expect(result).toEqual(base);
  });
});

describe('a SCIM user as a worker record', () => {
  it('resolves attribute names ignoring case, keeps extensions under their URN and never keeps a password', () => {
    const resource = canonicalResource(resourceTypes.User, { USERNAME: 'a@example.com', Title: 'CFO', password: 'secret', [ENTERPRISE_USER_SCHEMA.toUpperCase()]: { Department: 'Finance' }, unknown: 1 });
    expect(resource).toEqual({ userName: 'a@example.com', title: 'CFO', [ENTERPRISE_USER_SCHEMA]: { department: 'Finance' } });
  });

  it('invites the address Bitwarden would: primary, else work, else the first, else a userName that is one', () => {
    expect(workEmailOf({ emails: [{ value: 'a@x.example', type: 'home' }, { value: 'b@x.example', primary: true }] })).toBe('b@x.example');
    expect(workEmailOf(canonicalResource(resourceTypes.User, user))).toBe('ann.lee@example.com');
    expect(workEmailOf({ userName: 'upn@x.example' })).toBe('upn@x.example');
    expect(workEmailOf({ userName: 'not-an-address' })).toBeNull();
  });

  it('maps title, department, userType, enterprise attributes, the pushed groups and active', () => {
    const resource = canonicalResource(resourceTypes.User, { ...user, userType: 'Contractor', active: 'false', [ENTERPRISE_USER_SCHEMA]: { department: 'Engineering', costCenter: 'CC-9' } });
    expect(workerRecordOf(resource, 'AbC-1', ['Vault Admins'])).toMatchObject({
      externalId: 'AbC-1',
      workEmail: 'ann.lee@example.com',
      jobTitle: 'Engineer',
      department: 'Engineering',
      employmentType: 'contractor',
      status: 'terminated',
      attributes: { costCenter: 'CC-9' },
      groups: ['Vault Admins'],
    });
    expect(workerRecordOf(canonicalResource(resourceTypes.User, { userName: 'a@example.com', userType: 'Vendor' }), 'k', []).employmentType).toBe('other');
  });

  it('refuses a record the worker could not use, naming the SCIM attribute', () => {
    expect(refusal(() => workerRecordOf({ userName: 'nobody' }, 'k', []))).toMatchObject({ status: 400, scimType: 'invalidValue', detail: expect.stringMatching(/^emails: /) });
    expect(refusal(() => workerRecordOf({ userName: 'a@example.com', title: 'x'.repeat(257) }, 'k', []))).toMatchObject({ detail: 'title: must be at most 256 characters' });
    expect(refusal(() => workerRecordOf({ userName: 'a@example.com', [ENTERPRISE_USER_SCHEMA]: { department: 'x'.repeat(300) } }, 'k', []))).toMatchObject({ detail: `${ENTERPRISE_USER_SCHEMA}:department: must be at most 256 characters` });
  });
});

describe('SCIM keys and budget', () => {
  const keys = { okta: ['okta-old', 'okta-new'], entra: ['entra-1'] } as Record<string, string[]>;
  const keysFor = async (provider: string) => keys[provider] ?? [];

  it('read the key as Bitwarden does: Bearer optional, and any key of a rotation names its provider', async () => {
    expect(bearerKey('Bearer  abc ')).toBe('abc');
    expect(bearerKey('bearer abc')).toBe('abc');
    expect(bearerKey('abc')).toBe('abc');
    expect(bearerKey('  ')).toBeNull();
    expect((await authenticate('Bearer okta-old', ['okta', 'entra'], keysFor)).provider).toBe('okta');
    expect((await authenticate('okta-new', ['okta', 'entra'], keysFor)).provider).toBe('okta');
    expect((await authenticate('Bearer entra-1', ['okta', 'entra'], keysFor)).provider).toBe('entra');
  });

  it('refuse a missing or unknown key, or the key of a provider the config does not list, after reading the keys afresh once', async () => {
    const reads: boolean[] = [];
    const counting = async (provider: string, options?: { refresh?: boolean }) => {
      reads.push(options?.refresh ?? false);
      return keysFor(provider);
    };
    await expect(authenticate(undefined, ['okta'], counting)).rejects.toMatchObject({ status: 401 });
    await expect(authenticate('Bearer entra-1', ['okta'], counting)).rejects.toMatchObject({ status: 401 });
    expect(reads).toEqual([false, true]);
    // A key rotated in since the last read is found by the fresh read.
    let rotated = false;
    const rotating = async (_provider: string, options?: { refresh?: boolean }) => (options?.refresh ? ((rotated = true), ['fresh']) : ['stale']);
    expect((await authenticate('fresh', ['ping'], rotating)).provider).toBe('ping');
    expect(rotated).toBe(true);
  });

  it('still admit the other providers when one provider\'s keys cannot be read, and fail (not 401) a key none matched then', async () => {
    const broken = async (provider: string) => {
      if (provider === 'entra') throw new Error('neither ENTRA_SCIM_KEYS nor ENTRA_SCIM_KEYS_ARN is set');
      return keysFor(provider);
    };
    expect((await authenticate('okta-old', ['entra', 'okta'], broken)).provider).toBe('okta');
    await expect(authenticate('entra-1', ['entra', 'okta'], broken)).rejects.toThrow(/ENTRA_SCIM_KEYS/);
  });

  it('give each key its own budget, answered 429 with the wait once spent', async () => {
    const budget = new LocalRateBudget();
    const pace = scimPace(60);
    expect(pace).toEqual({ intervalMs: 1000, burst: 6 });
    for (let call = 0; call < 6; call++) await spendRequest(budget, pace, 'key-a', 0);
    const spent = await spendRequest(budget, pace, 'key-a', 0).catch((error: unknown) => error);
    expect(spent).toMatchObject({ status: 429, retryAfterSeconds: 1 });
    await expect(spendRequest(budget, pace, 'key-b', 0)).resolves.toBeUndefined();
    await expect(spendRequest(budget, pace, 'key-a', 1000)).resolves.toBeUndefined();
  });
});

describe('SCIM paths', () => {
  it('parse URN-qualified names, sub-attributes and value filters', () => {
    expect(parsePath(`${ENTERPRISE_USER_SCHEMA}:manager.value`)).toEqual({ urn: ENTERPRISE_USER_SCHEMA, name: 'manager', filter: null, sub: 'value' });
    expect(parsePath('members[value eq "x"]')).toMatchObject({ urn: null, name: 'members', sub: null, filter: { kind: 'compare', op: 'eq', value: 'x' } });
    expect(refusal(() => parsePath('a.b.c'))).toMatchObject({ scimType: 'invalidPath' });
  });
});

describe('the SCIM service, on an in-memory store and queue', () => {
  function harness() {
    const items = new Map<string, StoredScimResource>();
    const key = (item: Pick<StoredScimResource, 'scope' | 'type' | 'id'>) => `${item.scope}|${item.type}|${item.id}`;
    const store: ScimResourceStore = {
      list: async (scope, type) => [...items.values()].filter((item) => item.scope === scope && item.type === type),
      get: async (scope, type, id) => items.get(key({ scope, type, id })) ?? null,
      async put(item) {
        if ((items.get(key(item))?.version ?? 0) !== item.version - 1) throw new ScimVersionConflict('changed');
        items.set(key(item), structuredClone(item));
      },
      async delete(item) {
        items.delete(key(item));
      },
    };
    const remembered = new Set<string>();
    const queued: WorkerEventMessage[] = [];
    let failNext = false;
    const deps: ScimDependencies = {
      providers: ['okta'],
      keysFor: async () => ['k'],
      budget: new LocalRateBudget(),
      pace: scimPace(6000),
      store,
      async enqueueOnce(deliveryKey, messages) {
        if (remembered.has(deliveryKey)) return { duplicate: true };
        if (failNext) {
          failNext = false;
          throw new PublishIncomplete(messages.length, messages.length, 'throttled');
        }
        remembered.add(deliveryKey);
        queued.push(...messages);
        return { duplicate: false };
      },
      now: () => new Date('2026-06-01T12:00:00Z'),
      newId: (() => {
        let next = 0;
        return () => `id-${++next}`;
      })(),
    };
    const send = (method: string, path: string, body?: unknown) =>
      handleScimRequest({ method, path: path.split('?')[0]!, query: new URLSearchParams(path.split('?')[1] ?? ''), headers: { authorization: 'Bearer k', 'content-type': 'application/scim+json' }, body: Buffer.from(body === undefined ? '' : JSON.stringify(body)), baseUrl: 'https://scim.example/v2/org' }, deps);
    return { send, queued, failNext: () => (failNext = true) };
  }
  const deactivate = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] };

  it('answers 503 when the queue did not take a change, and the provider\'s retry sends it once', async () => {
    const { send, queued, failNext } = harness();
    const created = await send('POST', '/Users', { userName: 'a@example.com', externalId: '00u1', active: true });
    expect(created.status).toBe(201);
    failNext();
    expect((await send('PATCH', `/Users/${created.body!.id}`, deactivate)).status).toBe(503);
    expect(queued.map((message) => message.deliveryId)).toEqual(['scim-id-1-v1']);
    // The retry finds the user already deactivated (version 2 stored): the same version is sent now, then never again.
    expect((await send('PATCH', `/Users/${created.body!.id}`, deactivate)).status).toBe(200);
    expect((await send('PATCH', `/Users/${created.body!.id}`, deactivate)).status).toBe(200);
    expect(queued.map((message) => [message.deliveryId, message.subject.kind === 'record' ? message.subject.worker.status : null])).toEqual([
      ['scim-id-1-v1', 'active'],
      ['scim-id-1-v2', 'terminated'],
    ]);
    expect(queued.every((message) => message.provider === 'okta' && message.workerKey === '00u1')).toBe(true);
  });

  it('sends a create SQS did not take when the provider retries it, and answers that retry 409', async () => {
    const { send, queued, failNext } = harness();
    failNext();
    const body = { userName: 'b@example.com', active: true };
    expect((await send('POST', '/Users', body)).status).toBe(503);
    const retry = await send('POST', '/Users', body);
    expect(retry).toMatchObject({ status: 409, body: { scimType: 'uniqueness' } });
    expect(queued.map((message) => message.deliveryId)).toEqual(['scim-id-1-v1']);
    // Without an externalId, the worker key is the SCIM id.
    expect(queued[0]!.workerKey).toBe('id-1');
  });

  it('sends a member\'s record when a pushed group changes its membership or name, and a DELETE as a removal', async () => {
    const { send, queued } = harness();
    const user = await send('POST', '/Users', { userName: 'c@example.com', externalId: '00u3' });
    const group = await send('POST', '/Groups', { displayName: 'Admins', members: [{ value: user.body!.id }, { value: 'unknown-id' }] });
    expect(group.body!.members).toEqual([expect.objectContaining({ value: user.body!.id })]);
    await send('PATCH', `/Groups/${group.body!.id}`, { Operations: [{ op: 'replace', path: 'displayName', value: 'Admins EU' }] });
    expect((await send('DELETE', `/Users/${user.body!.id}`)).status).toBe(204);
    expect(queued.map((message) => (message.subject.kind === 'record' ? message.subject.worker.groups : message.subject.kind))).toEqual([[], ['Admins'], ['Admins EU'], 'removed']);
    expect((await send('GET', `/Users/${user.body!.id}`)).status).toBe(404);
  });
});
