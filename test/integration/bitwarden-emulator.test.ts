import { afterEach, describe, expect, it } from 'vitest';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { BitwardenEmulator, type BitwardenEmulatorOptions } from '../../lib/local/bitwarden/emulator.js';
import { contractViolations } from '../support/openapi-contract.js';

/**
 * The emulator against docs/reference/bitwarden-public-api.md §14 ("what an emulator must reproduce"), over raw HTTP:
 * statuses, empty bodies, error texts, validation, PUT semantics, lifecycle, the import, rate limits, versions.
 */
let emulator: BitwardenEmulator;
let token: string;
// These tests send malformed requests on purpose: hold the emulator's answers to the document.
afterEach(async () => {
  expect(contractViolations(emulator.exchanges, { checkRequests: false })).toEqual([]);
  await emulator.stop();
});

async function start(options: BitwardenEmulatorOptions = {}) {
  emulator = await new BitwardenEmulator(options).start();
  const response = await tokenRequest({ grant_type: 'client_credentials', scope: 'api.organization', client_id: emulator.clientId, client_secret: emulator.clientSecret });
  token = ((await response.json()) as { access_token: string }).access_token;
  return emulator;
}

const tokenRequest = (form: Record<string, string>) =>
  fetch(`${emulator.url}/connect/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, json: text ? JSON.parse(text) : undefined, headers: response.headers };
}
const unknownId = '00000000-0000-4000-8000-000000000000';
const invite = (email: string, extra: Record<string, unknown> = {}) => api('POST', '/public/members', { email, type: 2, ...extra });
const importMembers = (members: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) =>
  api('POST', '/public/organization/import', { groups: [], members, overwriteExisting: false, ...extra });
const externalIds = () => emulator.allMembers().map((member) => member.externalId).sort();

describe('auth (items 1–2)', () => {
  it('issues client-credential tokens and refuses bad requests with OAuth errors', async () => {
    await start();
    expect(token).toMatch(/^[\w-]{20,}$/);
    const base = { grant_type: 'client_credentials', scope: 'api.organization', client_id: emulator.clientId, client_secret: emulator.clientSecret };
    expect(await (await tokenRequest({ ...base, client_secret: 'nope' })).json()).toEqual({ error: 'invalid_client' });
    expect(await (await tokenRequest({ ...base, client_id: 'organization.not-this-org' })).json()).toEqual({ error: 'invalid_client' });
    expect(await (await tokenRequest({ ...base, grant_type: 'password' })).json()).toEqual({ error: 'unsupported_grant_type' });
    const wrongScope = await tokenRequest({ ...base, scope: 'api' });
    expect([wrongScope.status, await wrongScope.json()]).toEqual([400, { error: 'invalid_scope' }]);
  });

  it('answers a missing or unknown token 401 and a token of another scope 403, with empty bodies; accepts access_token in the query', async () => {
    await start();
    const missing = await api('GET', '/public/members', undefined, { authorization: '' });
    expect([missing.status, missing.text, missing.headers.get('www-authenticate')]).toEqual([401, '', 'Bearer']);
    expect((await api('GET', '/public/members', undefined, { authorization: 'Bearer forged' })).status).toBe(401);
    const personal = await api('GET', '/public/members', undefined, { authorization: `Bearer ${emulator.issueToken('api')}` });
    expect([personal.status, personal.text]).toEqual([403, '']);
    const query = await fetch(`${emulator.url}/public/groups?access_token=${token}`);
    expect(query.status).toBe(200);
  });
});

describe('statuses and JSON (items 3–6)', () => {
  it('creates with 200, acts with 200 and an empty body, and answers unknown ids 404 with an empty body', async () => {
    await start();
    const created = await invite('a@example.com');
    expect(created.status).toBe(200);
    expect(created.json).toEqual({
      object: 'member', id: expect.any(String), userId: null, name: null, email: 'a@example.com', twoFactorEnabled: false, status: 0,
      collections: null, resetPasswordEnrolled: false, ssoExternalId: null, type: 2, externalId: null, permissions: null,
    });
    const revoke = await api('POST', `/public/members/${created.json.id}/revoke`);
    expect([revoke.status, revoke.text]).toEqual([200, '']);
    for (const path of [`/public/members/${unknownId}`, `/public/groups/${unknownId}`, `/public/members/${unknownId}/group-ids`]) {
      const answer = await api('GET', path);
      expect([answer.status, answer.text]).toEqual([404, '']);
    }
    expect((await api('GET', '/public/members/abc')).json).toEqual({ object: 'error', message: "The request's model state is invalid.", errors: { id: ["The value 'abc' is not valid."] } });
  });

  it('lists without pagination and returns bare id arrays', async () => {
    await start({ groups: ['A'] });
    const list = await api('GET', '/public/groups');
    expect(list.json).toEqual({ object: 'list', data: [{ object: 'group', id: expect.any(String), name: 'A', externalId: null, collections: [] }] });
    const member = await invite('b@example.com', { groups: [list.json.data[0].id] });
    expect((await api('GET', `/public/members/${member.json.id}/group-ids`)).json).toEqual([list.json.data[0].id]);
  });

  it('binds property names case-insensitively and enum numbers given as strings, and refuses enum names', async () => {
    await start();
    expect((await api('POST', '/public/members', { Email: 'c@example.com', Type: '2' })).json).toMatchObject({ email: 'c@example.com', type: 2 });
    expect((await api('POST', '/public/members', { email: 'd@example.com', type: 'User' })).json.errors).toEqual({ '$.type': [expect.stringContaining('could not be converted')] });
  });

  it('refuses an empty body and a body that is not JSON', async () => {
    await start();
    expect((await api('POST', '/public/members', '', { 'content-type': 'application/json' })).json.errors).toEqual({ '': ['Body is empty.'] });
    expect((await api('POST', '/public/members', 'email=x', { 'content-type': 'text/plain' })).status).toBe(415);
  });
});

describe('validation (item 7)', () => {
  it('checks e-mail, type, externalId, collections and permissions with Bitwarden’s texts', async () => {
    await start();
    const collection = emulator.organization.addCollection();
    expect((await api('POST', '/public/members', {})).json.errors).toEqual({ Email: ['The Email field is required.'], Type: ['The Type field is required.'] });
    expect((await invite('not-an-email')).json.errors).toEqual({ Email: ['The Email field is not a supported e-mail address format.'] });
    expect((await invite(`${'x'.repeat(250)}@example.com`)).json.errors.Email).toEqual(['The field Email must be a string with a maximum length of 256.']);
    expect((await api('POST', '/public/members', { email: 'e@example.com', type: 3 })).json.errors).toEqual({ Type: ['The field Type is invalid.'] });
    expect((await invite('e@example.com', { externalId: 'x'.repeat(301) })).json.errors).toEqual({ ExternalId: ['The field ExternalId must be a string with a maximum length of 300.'] });
    expect((await invite('e@example.com', { collections: [{ id: collection }] })).json.errors).toEqual({ 'Collections[0].ReadOnly': ['The ReadOnly field is required.'] });
    expect((await invite('e@example.com', { permissions: { manageUsers: true } })).json.errors).toEqual({ '': ['Only users with the Custom role may use custom permissions.'] });
    expect((await invite('e@example.com', { collections: [{ id: collection, readOnly: true, manage: true }] })).json).toEqual({
      object: 'error', message: 'The Manage property is mutually exclusive and cannot be true while the ReadOnly or HidePasswords properties are also true.', errors: null,
    });
    expect((await api('POST', '/public/groups', { name: 'n'.repeat(101) })).json.errors).toEqual({ Name: ['The field Name must be a string with a maximum length of 100.'] });
  });
});

describe('PUT semantics (items 8–9) and set replacement (item 13)', () => {
  it('member PUT: omitted externalId and collections are cleared, omitted groups kept, [] clears them, unknown ids 404 with a body', async () => {
    await start({ groups: ['G'] });
    const group = emulator.groupByName('G')!;
    const collection = emulator.organization.addCollection();
    const access = { id: collection, readOnly: true, hidePasswords: false, manage: false };
    const member = (await invite('f@example.com', { externalId: 'E-9', collections: [access], groups: [group.id] })).json;

    const updated = await api('PUT', `/public/members/${member.id}`, { type: 2 });
    expect(updated.json).toMatchObject({ externalId: null, collections: null });
    expect((await api('GET', `/public/members/${member.id}`)).json.collections).toEqual([]);
    expect((await api('GET', `/public/members/${member.id}/group-ids`)).json).toEqual([group.id]);
    await api('PUT', `/public/members/${member.id}`, { type: 2, groups: [] });
    expect((await api('GET', `/public/members/${member.id}/group-ids`)).json).toEqual([]);
    expect((await api('PUT', `/public/members/${member.id}`, { type: 2, groups: [unknownId] })).json).toEqual({ object: 'error', message: 'Resource not found.', errors: null });
  });

  it('group PUT keeps omitted collections and clears an omitted externalId; group POST echoes collections it did not store', async () => {
    await start();
    const collection = emulator.organization.addCollection();
    const access = { id: collection, readOnly: false, hidePasswords: false, manage: true };
    const created = (await api('POST', '/public/groups', { name: 'H', externalId: 'h', collections: [access, { ...access, id: unknownId }] })).json;
    expect(created.collections).toHaveLength(2);
    expect((await api('GET', `/public/groups/${created.id}`)).json.collections).toEqual([access]);
    expect((await api('PUT', `/public/groups/${created.id}`, { name: 'H2' })).json).toMatchObject({ name: 'H2', externalId: null, collections: null });
    expect((await api('GET', `/public/groups/${created.id}`)).json.collections).toEqual([access]);
  });

  it('id-list PUTs replace the whole set, silently drop unknown ids, and clear on a missing list', async () => {
    await start({ groups: ['A', 'B'] });
    const [a, b] = ['A', 'B'].map((name) => emulator.groupByName(name)!.id);
    const member = (await invite('g@example.com')).json;
    await api('PUT', `/public/members/${member.id}/group-ids`, { groupIds: [a, unknownId] });
    expect((await api('GET', `/public/members/${member.id}/group-ids`)).json).toEqual([a]);
    await api('PUT', `/public/members/${member.id}/group-ids`, { groupIds: [b] });
    expect((await api('GET', `/public/members/${member.id}/group-ids`)).json).toEqual([b]);
    await api('PUT', `/public/members/${member.id}/group-ids`, {});
    expect((await api('GET', `/public/members/${member.id}/group-ids`)).json).toEqual([]);
    await api('PUT', `/public/groups/${a}/member-ids`, { memberIds: [member.id, unknownId] });
    expect((await api('GET', `/public/groups/${a}/member-ids`)).json).toEqual([member.id]);
  });
});

describe('lifecycle (items 10–12)', () => {
  it('revokes, restores to the prior status, and refuses the repeats with Bitwarden’s texts', async () => {
    await start();
    const member = emulator.addMember({ email: 'h@example.com', status: MemberStatus.Confirmed });
    expect((await api('POST', `/public/members/${member.id}/revoke`)).status).toBe(200);
    expect((await api('POST', `/public/members/${member.id}/revoke`)).json).toEqual({ object: 'error', message: 'Already revoked.', errors: null });
    expect((await api('POST', `/public/members/${member.id}/restore`)).status).toBe(200);
    expect((await api('GET', `/public/members/${member.id}`)).json.status).toBe(MemberStatus.Confirmed);
    expect((await api('POST', `/public/members/${member.id}/restore`)).json.message).toBe('Already active.');
    expect((await api('POST', `/public/members/${member.id}/reinvite`)).json.message).toBe('User invalid.');
  });

  it('detects duplicate invites across every status, ignoring case', async () => {
    await start();
    emulator.addMember({ email: 'i@example.com', status: MemberStatus.Revoked });
    expect((await invite('I@EXAMPLE.COM')).json).toEqual({ object: 'error', message: 'This user has already been invited.', errors: null });
  });

  it('protects the last confirmed owner from revoke, removal and demotion', async () => {
    await start();
    const owner = emulator.addMember({ email: 'owner@example.com', status: MemberStatus.Confirmed, type: 0 });
    const lastOwner = { object: 'error', message: 'Organization must have at least one confirmed owner.', errors: null };
    expect((await api('POST', `/public/members/${owner.id}/revoke`)).json).toEqual(lastOwner);
    expect((await api('DELETE', `/public/members/${owner.id}`)).json).toEqual(lastOwner);
    expect((await api('PUT', `/public/members/${owner.id}`, { type: 2 })).json).toEqual(lastOwner);
    emulator.addMember({ email: 'owner2@example.com', status: MemberStatus.Confirmed, type: 0 });
    expect((await api('DELETE', `/public/members/${owner.id}`)).status).toBe(200);
    expect((await api('DELETE', `/public/members/${owner.id}`)).status).toBe(404);
  });

  it('refuses groups on a plan without them', async () => {
    await start({ useGroups: false });
    expect((await api('POST', '/public/groups', { name: 'X' })).json.message).toBe('This organization cannot use groups.');
  });
});

describe('organization import (item 14)', () => {
  it('invites unknown externalIds as Invited Users, answering 200 with an empty body, and is recorded', async () => {
    await start();
    const answer = await importMembers([{ email: 'New.Hire@Example.com', externalId: 'HR-1', deleted: false }, { email: 'second@example.com', externalId: 'HR-2' }]);
    expect([answer.status, answer.text]).toEqual([200, '']);
    expect(emulator.memberByExternalId('HR-1')).toMatchObject({ email: 'new.hire@example.com', status: MemberStatus.Invited, type: 2, userId: null, groupNames: [] });
    expect(externalIds()).toEqual(['HR-1', 'HR-2']);
    expect(emulator.writes()).toEqual([expect.objectContaining({ method: 'POST', route: '/public/organization/import', status: 200, response: undefined, body: expect.objectContaining({ overwriteExisting: false }) })]);
  });

  it('skips e-mails already in the organization silently, in any case and any status', async () => {
    await start();
    for (const [email, status] of [['invited@example.com', MemberStatus.Invited], ['confirmed@example.com', MemberStatus.Confirmed], ['revoked@example.com', MemberStatus.Revoked]] as const) {
      emulator.addMember({ email, status, externalId: `OLD-${email}` });
    }
    const answer = await importMembers(['INVITED@example.com', 'Confirmed@Example.COM', 'revoked@EXAMPLE.com'].map((email, index) => ({ email, externalId: `NEW-${index}` })));
    expect([answer.status, answer.text]).toEqual([200, '']);
    expect(externalIds()).toEqual(['OLD-confirmed@example.com', 'OLD-invited@example.com', 'OLD-revoked@example.com']);
  });

  it('lets a member without an externalId adopt the imported one by e-mail, and leaves a member with another externalId alone', async () => {
    await start();
    const bare = emulator.addMember({ email: 'bare@example.com', status: MemberStatus.Confirmed });
    const linked = emulator.addMember({ email: 'linked@example.com', status: MemberStatus.Confirmed, externalId: 'HR-OLD' });
    await importMembers([{ email: 'Bare@Example.com', externalId: 'HR-1' }, { email: 'linked@example.com', externalId: 'HR-2' }]);
    expect(emulator.memberByExternalId('HR-1')).toMatchObject({ id: bare.id, status: MemberStatus.Confirmed });
    expect((await api('GET', `/public/members/${linked.id}`)).json.externalId).toBe('HR-OLD');
    expect(externalIds()).toEqual(['HR-1', 'HR-OLD']);
  });

  it('refuses more than 2,000 members not deleted without largeImport, and accepts them with it', async () => {
    await start();
    const members = Array.from({ length: 2_001 }, (_, index) => ({ email: `bulk${index}@example.com`, externalId: `B-${index}` }));
    expect((await importMembers(members)).json).toEqual({ object: 'error', message: 'You cannot import this much data at once.', errors: null });
    expect(emulator.allMembers()).toEqual([]);
    expect((await importMembers(members.map((member, index) => ({ ...member, deleted: index === 0 })))).status).toBe(200);
    expect(emulator.allMembers()).toHaveLength(2_000);
    expect((await importMembers(members, { largeImport: true })).status).toBe(200);
    expect(emulator.allMembers()).toHaveLength(2_001);
  });

  it('validates the model with Bitwarden’s keys and texts, and crashes on a missing list', async () => {
    await start();
    const modelState = (errors: Record<string, string[]>) => ({ object: 'error', message: "The request's model state is invalid.", errors });
    expect((await api('POST', '/public/organization/import', { groups: [], members: [] })).json).toEqual(modelState({ OverwriteExisting: ['The OverwriteExisting field is required.'] }));
    const members = [{ email: 'x@example.com' }, { externalId: 'E-2' }, { externalId: 'E-3', deleted: true }, { email: 'not-an-email', externalId: 'E-4' }];
    expect((await importMembers(members, { groups: [{ name: '', externalId: 7, memberExternalIds: [] }] })).json).toEqual(modelState({
      'Members[0].ExternalId': ['The ExternalId field is required.'],
      'Members[1].Email': ['Email is required for enabled members.'],
      'Members[3].Email': ['The Email field is not a valid e-mail address.'],
      'Groups[0].Name': ['The Name field is required.'],
    }));
    expect((await importMembers([], { overwriteExisting: 'yes' })).json.errors).toEqual({ '$.overwriteExisting': [expect.stringContaining('could not be converted')] });
    expect((await api('POST', '/public/organization/import', { groups: [], overwriteExisting: false })).status).toBe(500);
    expect(emulator.allMembers()).toEqual([]);
  });

  it('refuses an organization without directory syncing', async () => {
    await start({ useDirectory: false });
    expect((await importMembers([{ email: 'd@example.com', externalId: 'D-1' }])).json).toEqual({ object: 'error', message: 'Organization cannot use directory syncing.', errors: null });
    expect(emulator.allMembers()).toEqual([]);
  });

  it('refuses groups on a plan without them only after the members are imported, as the server does', async () => {
    await start({ useGroups: false });
    const answer = await importMembers([{ email: 'g@example.com', externalId: 'G-1' }], { groups: [{ name: 'Engineering', externalId: 'eng', memberExternalIds: ['G-1'] }] });
    expect(answer.json).toEqual({ object: 'error', message: 'Organization cannot use groups.', errors: null });
    expect(externalIds()).toEqual(['G-1']);
  });

  it('removes `deleted` entries by externalId, never an owner', async () => {
    await start();
    emulator.addMember({ email: 'leaver@example.com', status: MemberStatus.Confirmed, externalId: 'L-1' });
    emulator.addMember({ email: 'owner@example.com', status: MemberStatus.Confirmed, externalId: 'O-1', type: 0 });
    emulator.addMember({ email: 'stays@example.com', status: MemberStatus.Confirmed, externalId: 'S-1' });
    const answer = await importMembers([{ externalId: 'L-1', deleted: true }, { externalId: 'O-1', deleted: true }, { externalId: 'UNKNOWN', deleted: true }]);
    expect([answer.status, externalIds()]).toEqual([200, ['O-1', 'S-1']]);
  });

  it('with overwriteExisting removes the members the import does not list, and refuses while one of them has no master password', async () => {
    await start();
    emulator.addMember({ email: 'stays@example.com', status: MemberStatus.Confirmed, externalId: 'S-1' });
    emulator.addMember({ email: 'goes@example.com', status: MemberStatus.Confirmed, externalId: 'G-1' });
    emulator.addMember({ email: 'owner@example.com', status: MemberStatus.Confirmed, externalId: 'O-1', type: 0 });
    emulator.addMember({ email: 'by-hand@example.com', status: MemberStatus.Confirmed });
    const pending = emulator.addMember({ email: 'pending@example.com', externalId: 'P-1' });
    const stays = [{ email: 'stays@example.com', externalId: 'S-1' }];
    expect((await importMembers(stays, { overwriteExisting: true })).json).toEqual({
      object: 'error', message: "Sync failed. To proceed, disable the 'Remove and re-add users during next sync' setting and try again.", errors: null,
    });
    expect(emulator.allMembers()).toHaveLength(5);
    await api('DELETE', `/public/members/${pending.id}`);
    expect((await importMembers(stays, { overwriteExisting: true })).status).toBe(200);
    expect(emulator.allMembers().map((member) => member.email).sort()).toEqual(['by-hand@example.com', 'owner@example.com', 'stays@example.com']);
  });

  it('matches groups by externalId, creates and renames them, replaces their membership, and never deletes one', async () => {
    await start();
    const byHand = emulator.addGroup('By hand');
    const engineering = emulator.addGroup('Eng', 'eng');
    const a = emulator.addMember({ email: 'a@example.com', status: MemberStatus.Confirmed, externalId: 'A', groupIds: [byHand.id, engineering.id] });
    const b = emulator.addMember({ email: 'b@example.com', status: MemberStatus.Confirmed, externalId: 'B', groupIds: [engineering.id] });
    const groups = [{ name: 'Engineering', externalId: 'eng', memberExternalIds: ['A', 'C', 'UNKNOWN'] }, { name: 'Sales', externalId: 'sales', memberExternalIds: ['B'] }];
    expect((await importMembers([{ email: 'c@example.com', externalId: 'C' }], { groups })).status).toBe(200);
    const c = emulator.memberByExternalId('C')!;
    const sales = emulator.groupByName('Sales')!;
    const memberIdsOf = async (groupId: string) => ((await api('GET', `/public/groups/${groupId}/member-ids`)).json as string[]).sort();
    const state = async () => ({
      groups: (await api('GET', '/public/groups')).json.data.map((group: { id: string; name: string; externalId: string | null }) => [group.id, group.name, group.externalId]),
      members: { [byHand.id]: await memberIdsOf(byHand.id), [engineering.id]: await memberIdsOf(engineering.id), [sales.id]: await memberIdsOf(sales.id) },
    });
    const afterImport = await state();
    expect(afterImport).toEqual({
      groups: [[byHand.id, 'By hand', null], [engineering.id, 'Engineering', 'eng'], [sales.id, 'Sales', 'sales']],
      members: { [byHand.id]: [a.id], [engineering.id]: [a.id, c.id].sort(), [sales.id]: [b.id] },
    });
    expect((await importMembers([], { groups: [] })).status).toBe(200);
    expect(await state()).toEqual(afterImport);
  });
});

describe('cloud rate limits (item 15) and old servers (item 16)', () => {
  it('allows 5 writes per second per path, then answers 429 with Retry-After and the internal error model', async () => {
    await start({ rateLimits: true });
    const statuses = [];
    for (let index = 0; index < 6; index++) statuses.push((await invite(`rl${index}@example.com`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = await invite('rl9@example.com');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.json).toEqual({ object: 'error', message: 'Slow down! Too many requests. Try again in 1s.', validationErrors: null, exceptionMessage: null, exceptionStackTrace: null, innerExceptionMessage: null });
    // Different member ids are different paths, with counters of their own.
    const ids = emulator.allMembers().slice(0, 3).map((member) => member.id);
    for (const id of ids) expect((await api('POST', `/public/members/${id}/revoke`)).status).toBe(200);
  });

  it('adds the longest matching rule’s X-Rate-Limit headers to every answer but a 429, counting imports and 401s like any request', async () => {
    await start({ rateLimits: true });
    const before = Date.now();
    const reads = [await api('GET', '/public/members'), await api('GET', '/public/members')];
    const unauthorized = await api('GET', '/public/members', undefined, { authorization: '' });
    expect([...reads, unauthorized].map((answer) => [answer.status, answer.headers.get('x-rate-limit-limit'), answer.headers.get('x-rate-limit-remaining')])).toEqual([
      [200, '1m', '199'],
      [200, '1m', '198'],
      [401, '1m', '197'],
    ]);
    const reset = reads[0]!.headers.get('x-rate-limit-reset')!;
    expect(reset).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(Date.parse(reset)).toBeGreaterThanOrEqual(before + 60_000);
    expect(Date.parse(reset)).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(reads[1]!.headers.get('x-rate-limit-reset')).toBe(reset);

    // Writes are 5 a second and 60 a minute: the headers speak of the minute.
    const imports = [];
    for (let index = 0; index < 6; index++) imports.push(await importMembers([]));
    expect(imports.map((answer) => [answer.status, answer.headers.get('x-rate-limit-limit'), answer.headers.get('x-rate-limit-remaining')])).toEqual([
      [200, '1m', '59'],
      [200, '1m', '58'],
      [200, '1m', '57'],
      [200, '1m', '56'],
      [200, '1m', '55'],
      [429, null, null],
    ]);
    expect(Number(imports[5]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('limits token requests to 10 a minute', async () => {
    await start({ rateLimits: true });
    const base = { grant_type: 'client_credentials', scope: 'api.organization', client_id: emulator.clientId, client_secret: emulator.clientSecret };
    const statuses = [];
    for (let index = 0; index < 10; index++) statuses.push((await tokenRequest(base)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 429]);
  });

  it('emulates a server before v2026.2.0: revoke and restore are 404 with empty bodies, the list has no collections before v2025.11.1', async () => {
    await start({ serverVersion: '2025.10.0' });
    const member = emulator.addMember({ email: 'old@example.com', status: MemberStatus.Confirmed });
    const revoke = await api('POST', `/public/members/${member.id}/revoke`);
    expect([revoke.status, revoke.text]).toEqual([404, '']);
    expect((await api('GET', '/public/members')).json.data[0].collections).toBeNull();
  });
});
