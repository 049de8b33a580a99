import { isDeepStrictEqual } from 'node:util';
import type { Pace, RateBudget } from '../bitwarden/rate-budget.js';
import type { IdentityProviderName } from '../config/schema.js';
import type { EnqueueOnce } from '../queue/enqueue-once.js';
import type { WorkerEventMessage } from '../queue/message.js';
import { PublishIncomplete } from '../queue/publisher.js';
import { ScimVersionConflict, type ScimResourceStore, type StoredScimResource } from '../store/scim-resources.js';
import { authenticate, spendRequest, type ScimKeys } from './auth.js';
import { allSchemas, listResponse, MAX_RESULTS, resourceTypeDocument, schemaDocument, serviceProviderConfig } from './discovery.js';
import { badRequest, ScimError } from './errors.js';
import { matches, parseFilter } from './filter.js';
import { applyPatch } from './patch.js';
import { canonicalResource, schemasOf, selectAttributes, type Resource } from './resources.js';
import { resourceTypes, type ResourceTypeName } from './schemas.js';
import { workerRecordOf } from './worker-mapping.js';

/**
 * The SCIM 2.0 service provider at Bitwarden's SCIM paths (`/v2/{organizationId}/Users`, `/Groups`;
 * docs/reference/bitwarden-public-api.md §12), answering as RFC 7644 says. What a provider pushes is
 * kept (lib/store/scim-resources.ts) and every change of a user becomes a worker change on the same
 * queue as an HR webhook's (lib/ingest/receive-webhook.ts): the worker decides and plans, nothing
 * here calls Bitwarden. A group pushed is only a name on its members' records, for rules to match.
 */

export interface ScimRequest {
  method: string;
  /** The path after `/v2/{organizationId}`, e.g. `/Users/abc`. */
  path: string;
  query: URLSearchParams;
  /** Header names lower-cased. */
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
  /** `https://host/v2/{organizationId}`: where `Location` and `meta.location` point. */
  baseUrl: string;
}

export interface ScimResponse {
  status: number;
  headers: Record<string, string>;
  body?: Record<string, unknown>;
  /** Set once the caller is known: the source it speaks for (for logs and metrics). */
  provider?: IdentityProviderName;
}

export interface ScimDependencies {
  /** The identity providers the config lists under `scim.identityProviders`. */
  providers: readonly IdentityProviderName[];
  keysFor: ScimKeys;
  budget: RateBudget;
  pace: Pace;
  store: ScimResourceStore;
  enqueueOnce: EnqueueOnce;
  now(): Date;
  newId(): string;
}

/** SQS takes at most 256 KiB per message; a body larger than that describes no user. */
const MAX_BODY_BYTES = 256 * 1024;
/** The worker key is the SQS FIFO MessageGroupId: 1 to 128 printable ASCII characters (lib/ingest/receive-webhook.ts). */
const USABLE_WORKER_KEY = /^[\x21-\x7e]{1,128}$/;
/** Writes retried when another request changed the resource in between. */
const WRITE_ATTEMPTS = 4;
/** Users whose groups a group change rewrites in parallel. */
const MEMBERS_AT_ONCE = 10;
const SCIM_JSON = { 'content-type': 'application/scim+json; charset=utf-8' };

type Context = { provider: IdentityProviderName; deps: ScimDependencies; request: ScimRequest; now: Date };

const answer = (status: number, body?: Record<string, unknown>, headers: Record<string, string> = {}): ScimResponse => ({ status, headers: { ...SCIM_JSON, ...headers }, ...(body ? { body } : {}) });

/** Strictly after the previous change, so the worker never takes two changes of one resource for one instant. */
const nextModified = (previous: string | null, now: Date) => new Date(Math.max(now.getTime(), previous ? Date.parse(previous) + 1 : 0)).toISOString();

function readJson(request: ScimRequest): unknown {
  if (request.body.length > MAX_BODY_BYTES) throw new ScimError(413, null, `the body is ${request.body.length} bytes; the limit is ${MAX_BODY_BYTES}`);
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type && type !== 'application/scim+json' && type !== 'application/json') throw badRequest('invalidSyntax', `Content-Type ${type}: send application/scim+json or application/json`);
  try {
    return JSON.parse(request.body.toString('utf8')) as unknown;
  } catch {
    throw badRequest('invalidSyntax', 'the body is not JSON');
  }
}

// ── rendering ────────────────────────────────────────────────────────────────

const meta = (item: StoredScimResource, baseUrl: string) => ({
  resourceType: item.type,
  created: item.created,
  lastModified: item.lastModified,
  location: `${baseUrl}${resourceTypes[item.type].endpoint}/${item.id}`,
  version: `W/"${item.version}"`,
});

function renderUser(item: StoredScimResource, baseUrl: string): Resource {
  return {
    schemas: schemasOf(resourceTypes.User, item.resource),
    id: item.id,
    ...item.resource,
    // An identity provider that never sent `active` created an active user.
    active: item.resource.active ?? true,
    groups: (item.groups ?? []).map((group) => ({ value: group.value, display: group.display, $ref: `${baseUrl}/Groups/${group.value}`, type: 'direct' })),
    meta: meta(item, baseUrl),
  };
}

function renderGroup(item: StoredScimResource, members: readonly StoredScimResource[], baseUrl: string): Resource {
  return {
    schemas: [resourceTypes.Group.schema.id],
    id: item.id,
    ...item.resource,
    members: members.map((user) => ({ value: user.id, display: user.resource.userName, $ref: `${baseUrl}/Users/${user.id}`, type: 'User' })),
    meta: meta(item, baseUrl),
  };
}

const membersOf = (groupId: string, users: readonly StoredScimResource[]) => users.filter((user) => (user.groups ?? []).some((group) => group.value === groupId));

// ── worker changes ───────────────────────────────────────────────────────────

/** A user's state as one worker change: its record (or its removal), keyed by the resource's version so a retried request enqueues it once. */
async function enqueueUser(context: Context, user: StoredScimResource, eventType: string, removed = false): Promise<void> {
  const record = workerRecordOf(user.resource, user.workerKey!, (user.groups ?? []).map((group) => group.display));
  const deliveryId = `scim-${user.id}-${removed ? 'deleted' : `v${user.version}`}`;
  const message: WorkerEventMessage = {
    version: 1,
    provider: context.provider,
    workerKey: user.workerKey!,
    deliveryId,
    eventType,
    occurredAt: removed ? nextModified(user.lastModified, context.now) : user.lastModified,
    receivedAt: context.now.toISOString(),
    subject: removed ? { kind: 'removed', workEmail: record.workEmail } : { kind: 'record', worker: record },
  };
  await context.deps.enqueueOnce(`${context.provider}:${deliveryId}`, [message]);
}

/** Writes a new version of a resource when its content changed (else keeps the stored one), and returns what is stored. */
async function writeVersion(context: Context, previous: StoredScimResource, next: Pick<StoredScimResource, 'resource' | 'groups'>): Promise<StoredScimResource> {
  const unchanged = isDeepStrictEqual(previous.resource, next.resource) && isDeepStrictEqual(previous.groups ?? [], next.groups ?? []);
  if (unchanged) return previous;
  const item: StoredScimResource = { ...previous, ...next, version: previous.version + 1, lastModified: nextModified(previous.lastModified, context.now) };
  await context.deps.store.put(item);
  return item;
}

/** Runs `attempt` again (it re-reads) when another request wrote the resource in between. */
async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ScimVersionConflict) || tries >= WRITE_ATTEMPTS) throw error;
    }
  }
}

/** Sets one user's groups (a group's membership or name changed) and sends the user's new record. */
async function setUserGroups(context: Context, userId: string, change: (groups: Array<{ value: string; display: string }>) => Array<{ value: string; display: string }>): Promise<void> {
  await withRetries(async () => {
    const user = await context.deps.store.get(context.provider, 'User', userId);
    if (!user) return;
    const stored = await writeVersion(context, user, { resource: user.resource, groups: change(user.groups ?? []) });
    await enqueueUser(context, stored, 'scim.group.membership');
  });
}

// ── users ───────────────────────────────────────────────────────────────────

/** Another user with this userName (ignoring case) or externalId: a 409 `uniqueness`, and the user it clashes with. */
function userClash(users: readonly StoredScimResource[], resource: Resource, selfId: string | null): { user: StoredScimResource; error: ScimError } | null {
  const userName = String(resource.userName).toLowerCase();
  const byName = users.find((user) => user.id !== selfId && String(user.resource.userName).toLowerCase() === userName);
  if (byName) return { user: byName, error: new ScimError(409, 'uniqueness', `userName: another user already has "${String(resource.userName)}"`) };
  const externalId = resource.externalId;
  const byId = typeof externalId === 'string' ? users.find((user) => user.id !== selfId && (user.resource.externalId === externalId || user.workerKey === externalId)) : undefined;
  return byId ? { user: byId, error: new ScimError(409, 'uniqueness', `externalId: another user already has "${String(externalId)}"`) } : null;
}

async function createUser(context: Context): Promise<ScimResponse> {
  const resource = canonicalResource(resourceTypes.User, readJson(context.request));
  const clash = userClash(await context.deps.store.list(context.provider, 'User'), resource, null);
  if (clash) {
    // A provider retrying a create whose change could not be queued (503) finds its user here: the change goes now, and once.
    await enqueueUser(context, clash.user, 'scim.user.created');
    throw clash.error;
  }
  const id = context.deps.newId();
  // Identity is the provider's own id for the person (Entra ID's objectId, Okta's user id) when it sends one: it outlives a delete and re-create.
  const workerKey = typeof resource.externalId === 'string' ? resource.externalId : id;
  if (!USABLE_WORKER_KEY.test(workerKey) || workerKey === '.' || workerKey === '..') throw badRequest('invalidValue', 'externalId: must be 1 to 128 printable ASCII characters without spaces (it keys the worker), and not "." or ".."');
  workerRecordOf(resource, workerKey, []);
  const now = context.now.toISOString();
  const item: StoredScimResource = { scope: context.provider, type: 'User', id, version: 1, created: now, lastModified: now, resource, workerKey, groups: [] };
  await context.deps.store.put(item);
  await enqueueUser(context, item, 'scim.user.created');
  return answer(201, renderUser(item, context.request.baseUrl), { location: `${context.request.baseUrl}/Users/${id}` });
}

async function requireUser(context: Context, id: string): Promise<StoredScimResource> {
  const user = await context.deps.store.get(context.provider, 'User', id);
  if (!user) throw new ScimError(404, null, 'User not found.');
  return user;
}

/** PUT replaces the user; PATCH changes it. Either way its record is checked before anything is written. */
async function changeUser(context: Context, id: string, how: 'put' | 'patch'): Promise<ScimResponse> {
  const body = readJson(context.request);
  const stored = await withRetries(async () => {
    const user = await requireUser(context, id);
    const resource = how === 'put' ? canonicalResource(resourceTypes.User, body) : applyPatch(resourceTypes.User, user.resource, body);
    const clash = userClash(await context.deps.store.list(context.provider, 'User'), resource, id);
    if (clash) throw clash.error;
    workerRecordOf(resource, user.workerKey!, (user.groups ?? []).map((group) => group.display));
    return writeVersion(context, user, { resource, groups: user.groups ?? [] });
  });
  // Sent even when nothing changed: the same version is the same delivery, so a retry after a failed enqueue sends it now, and a repeat never.
  await enqueueUser(context, stored, how === 'put' ? 'scim.user.replaced' : 'scim.user.patched');
  return answer(200, renderUser(stored, context.request.baseUrl));
}

async function deleteUser(context: Context, id: string): Promise<ScimResponse> {
  const user = await requireUser(context, id);
  // The removal is queued before the resource goes: a failed enqueue leaves the user in place for the provider's retry.
  await enqueueUser(context, user, 'scim.user.deleted', true);
  await context.deps.store.delete(user);
  return answer(204);
}

// ── groups ───────────────────────────────────────────────────────────────────

/** A group name is matched by rules and carried on every member's record, where texts are at most 256 characters. */
function requireGroupName(resource: Resource): void {
  if (String(resource.displayName).length > 256) throw badRequest('invalidValue', 'displayName: must be at most 256 characters');
}

function requireUniqueGroup(groups: readonly StoredScimResource[], resource: Resource, selfId: string | null): void {
  const externalId = resource.externalId;
  if (typeof externalId === 'string' && groups.some((group) => group.id !== selfId && group.resource.externalId === externalId)) throw new ScimError(409, 'uniqueness', `externalId: another group already has "${externalId}"`);
}

const memberIds = (resource: Resource): Set<string> | null =>
  Array.isArray(resource.members) ? new Set((resource.members as Array<{ value?: unknown }>).map((entry) => entry.value).filter((value): value is string => typeof value === 'string')) : null;
const withoutMembers = ({ members: _members, ...rest }: Resource): Resource => rest;

/** Applies a group's new name and membership to its users: joined and left ones, and every member when the name changed. */
async function applyMembership(context: Context, group: { id: string; display: string }, before: readonly StoredScimResource[], after: Set<string> | null, renamed: boolean): Promise<void> {
  const known = new Set((await context.deps.store.list(context.provider, 'User')).map((user) => user.id));
  const current = new Set(before.map((user) => user.id));
  // Unknown ids are ignored, as Bitwarden's endpoint ignores them.
  const wanted = after === null ? current : new Set([...after].filter((id) => known.has(id)));
  const changed = [...new Set([...current, ...wanted])].filter((id) => !(wanted.has(id) && current.has(id) && !renamed));
  // A few users at a time: a large group's push fits the invocation, and a timeout leaves each user done or not (the retry finishes).
  for (let start = 0; start < changed.length; start += MEMBERS_AT_ONCE) {
    await Promise.all(
      changed.slice(start, start + MEMBERS_AT_ONCE).map((id) =>
        setUserGroups(context, id, (groups) => [...groups.filter((entry) => entry.value !== group.id), ...(wanted.has(id) ? [{ value: group.id, display: group.display }] : [])]),
      ),
    );
  }
}

async function createGroup(context: Context): Promise<ScimResponse> {
  const resource = canonicalResource(resourceTypes.Group, readJson(context.request));
  requireGroupName(resource);
  requireUniqueGroup(await context.deps.store.list(context.provider, 'Group'), resource, null);
  const now = context.now.toISOString();
  const item: StoredScimResource = { scope: context.provider, type: 'Group', id: context.deps.newId(), version: 1, created: now, lastModified: now, resource: withoutMembers(resource) };
  await context.deps.store.put(item);
  await applyMembership(context, { id: item.id, display: String(resource.displayName) }, [], memberIds(resource) ?? new Set(), false);
  const users = await context.deps.store.list(context.provider, 'User');
  return answer(201, renderGroup(item, membersOf(item.id, users), context.request.baseUrl), { location: `${context.request.baseUrl}/Groups/${item.id}` });
}

async function requireGroup(context: Context, id: string): Promise<StoredScimResource> {
  const group = await context.deps.store.get(context.provider, 'Group', id);
  if (!group) throw new ScimError(404, null, 'Group not found.');
  return group;
}

/** PUT replaces name and externalId, and the members only when it lists them (as Bitwarden's endpoint does); PATCH applies its operations. */
async function changeGroup(context: Context, id: string, how: 'put' | 'patch'): Promise<ScimResponse> {
  const body = readJson(context.request);
  const group = await requireGroup(context, id);
  const before = membersOf(id, await context.deps.store.list(context.provider, 'User'));
  const current = { ...group.resource, members: before.map((user) => ({ value: user.id })) };
  const resource = how === 'put' ? canonicalResource(resourceTypes.Group, body) : applyPatch(resourceTypes.Group, current, body);
  requireGroupName(resource);
  requireUniqueGroup(await context.deps.store.list(context.provider, 'Group'), resource, id);
  const display = String(resource.displayName);
  const members = how === 'put' ? memberIds(resource) : (memberIds(resource) ?? new Set<string>());
  // Members first: should this request fail half-way, its retry finds the group unchanged and applies it all again.
  await applyMembership(context, { id, display }, before, members, display !== group.resource.displayName);
  const stored = await withRetries(async () => writeVersion(context, await requireGroup(context, id), { resource: withoutMembers(resource) }));
  const users = await context.deps.store.list(context.provider, 'User');
  return answer(200, renderGroup(stored, membersOf(id, users), context.request.baseUrl));
}

async function deleteGroup(context: Context, id: string): Promise<ScimResponse> {
  const group = await requireGroup(context, id);
  await applyMembership(context, { id, display: String(group.resource.displayName) }, membersOf(id, await context.deps.store.list(context.provider, 'User')), new Set(), false);
  await context.deps.store.delete(group);
  return answer(204);
}

// ── lists ────────────────────────────────────────────────────────────────────

/** `startIndex` (1-based) and `count` as RFC 7644 §3.4.2.4 reads them: below 1 is 1, a negative count is 0. */
function page(query: URLSearchParams): { startIndex: number; count: number } {
  const number = (name: string, fallback: number) => {
    const text = query.get(name);
    if (text === null || text.trim() === '') return fallback;
    if (!/^-?\d+$/.test(text.trim())) throw badRequest('invalidValue', `${name}: must be a whole number`);
    return Number(text);
  };
  return { startIndex: Math.max(1, number('startIndex', 1)), count: Math.min(MAX_RESULTS, Math.max(0, number('count', 100))) };
}

async function list(context: Context, type: ResourceTypeName): Promise<ScimResponse> {
  const { query, baseUrl } = context.request;
  const filterText = query.get('filter');
  const filter = filterText && filterText.trim() !== '' ? parseFilter(filterText) : null;
  const { startIndex, count } = page(query);
  const users = await context.deps.store.list(context.provider, 'User');
  const items = type === 'User' ? users : await context.deps.store.list(context.provider, 'Group');
  const rendered = items
    .sort((a, b) => a.created.localeCompare(b.created) || a.id.localeCompare(b.id))
    .map((item) => (type === 'User' ? renderUser(item, baseUrl) : renderGroup(item, membersOf(item.id, users), baseUrl)))
    .filter((resource) => filter === null || matches(resource, filter));
  const selected = rendered.slice(startIndex - 1, startIndex - 1 + count).map((resource) => selectAttributes(resource, { attributes: query.get('attributes'), excludedAttributes: query.get('excludedAttributes') }));
  return answer(200, listResponse(selected, rendered.length, startIndex));
}

async function getOne(context: Context, type: ResourceTypeName, id: string): Promise<ScimResponse> {
  const { query, baseUrl } = context.request;
  const rendered = type === 'User' ? renderUser(await requireUser(context, id), baseUrl) : renderGroup(await requireGroup(context, id), membersOf(id, await context.deps.store.list(context.provider, 'User')), baseUrl);
  return answer(200, selectAttributes(rendered, { attributes: query.get('attributes'), excludedAttributes: query.get('excludedAttributes') }));
}

// ── routing ──────────────────────────────────────────────────────────────────

/** Discovery needs no key (RFC 7644 §4 allows it): it says nothing about anyone. */
function discovery(request: ScimRequest, segments: string[]): ScimResponse | null {
  const [first = '', second] = segments;
  const name = first.toLowerCase();
  const base = request.baseUrl;
  if (name === 'serviceproviderconfig' && second === undefined) return answer(200, serviceProviderConfig(base));
  if (name === 'schemas') {
    const schemas = allSchemas();
    if (second === undefined) return answer(200, listResponse(schemas.map((schema) => schemaDocument(schema, base)), schemas.length, 1));
    const schema = schemas.find((candidate) => candidate.id.toLowerCase() === second.toLowerCase());
    if (!schema) throw new ScimError(404, null, `no schema ${second}`);
    return answer(200, schemaDocument(schema, base));
  }
  if (name === 'resourcetypes') {
    const types = Object.values(resourceTypes);
    if (second === undefined) return answer(200, listResponse(types.map((type) => resourceTypeDocument(type, base)), types.length, 1));
    const type = types.find((candidate) => candidate.name.toLowerCase() === second.toLowerCase());
    if (!type) throw new ScimError(404, null, `no resource type ${second}`);
    return answer(200, resourceTypeDocument(type, base));
  }
  return null;
}

async function route(context: Context, type: ResourceTypeName, id: string | undefined): Promise<ScimResponse> {
  const method = context.request.method.toUpperCase();
  if (id === undefined) {
    if (method === 'GET') return list(context, type);
    if (method === 'POST') return type === 'User' ? createUser(context) : createGroup(context);
  } else {
    if (method === 'GET') return getOne(context, type, id);
    if (method === 'PUT' || method === 'PATCH') return type === 'User' ? changeUser(context, id, method === 'PUT' ? 'put' : 'patch') : changeGroup(context, id, method === 'PUT' ? 'put' : 'patch');
    if (method === 'DELETE') return type === 'User' ? deleteUser(context, id) : deleteGroup(context, id);
  }
  throw new ScimError(405, null, `${method} is not supported on ${type === 'User' ? '/Users' : '/Groups'}${id === undefined ? '' : '/{id}'}`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ScimError(404, null, `malformed percent-encoding in ${segment}`);
  }
}

/** One SCIM request: discovery, or authenticate → budget → the resource operation; every refusal is a SCIM Error resource. */
export async function handleScimRequest(request: ScimRequest, deps: ScimDependencies): Promise<ScimResponse> {
  let provider: IdentityProviderName | undefined;
  try {
    const segments = request.path.split('/').filter(Boolean).map(decodeSegment);
    if (request.method.toUpperCase() === 'GET') {
      const document = discovery(request, segments);
      if (document) return document;
    }
    const [resource = '', id, ...rest] = segments;
    const type = ({ users: 'User', groups: 'Group' } as const)[resource.toLowerCase() as 'users' | 'groups'] as ResourceTypeName | undefined;
    if (!type || rest.length > 0) throw new ScimError(404, null, `no SCIM endpoint at ${request.path || '/'}: Users, Groups, ServiceProviderConfig, Schemas and ResourceTypes are`);
    const caller = await authenticate(request.headers.authorization, deps.providers, deps.keysFor);
    provider = caller.provider;
    const now = deps.now();
    await spendRequest(deps.budget, deps.pace, caller.keyId, now.getTime());
    return { ...(await route({ provider, deps, request, now }, type, id)), provider };
  } catch (error) {
    if (error instanceof ScimError) {
      const headers: Record<string, string> = error.retryAfterSeconds ? { 'retry-after': String(error.retryAfterSeconds) } : {};
      return { ...answer(error.status, error.body(), headers), ...(provider ? { provider } : {}) };
    }
    // Nothing, or not every change, was queued: the provider retries, and a retry enqueues each change once (versioned delivery ids).
    if (error instanceof PublishIncomplete || error instanceof ScimVersionConflict) {
      return { ...answer(503, new ScimError(503, null, 'the change could not be queued; retry').body(), { 'retry-after': '1' }), ...(provider ? { provider } : {}) };
    }
    throw error;
  }
}
