import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BitwardenMessages } from '../bitwarden/errors.js';
import { MemberStatus, type CollectionAccess, type Group, type Member, type MemberStatusCode } from '../bitwarden/types.js';

/**
 * A local Bitwarden organization that answers as bitwarden/public-api.md says the real server
 * does: creates return 200, actions 200 with an empty body, unknown ids 404 with an empty body,
 * integer enums, `{object:"error"}` bodies with Bitwarden's texts. It records every request so
 * tests can count calls. Used by the tests and by `npm start` (unless BITWARDEN_API_URL is set).
 */

export interface RecordedRequest {
  method: string;
  /** The path with ids replaced by `{id}`, e.g. `/public/members/{id}/revoke`. */
  route: string;
  path: string;
  status: number;
  body: unknown;
}

interface StoredMember {
  member: Member;
  /** The status a restore returns to (Bitwarden keeps it while revoked). */
  priorStatus: MemberStatusCode;
  groupIds: Set<string>;
}

export interface BitwardenEmulatorOptions {
  port?: number;
  organizationId?: string;
  clientSecret?: string;
  /** Group names that exist from the start. */
  groups?: string[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STRICT_EMAIL = /^[\x00-\x7F]+@.+\.\p{L}+$/u;
const MEMBER_TYPES = new Set([0, 1, 2, 4]);

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body?: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const errorBody = (message: string, errors: Record<string, string[]> | null = null) => ({ object: 'error', message, errors });
const modelStateError = (errors: Record<string, string[]>) => new HttpError(400, errorBody("The request's model state is invalid.", errors));

export class BitwardenEmulator {
  readonly organizationId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly requests: RecordedRequest[] = [];
  private readonly members = new Map<string, StoredMember>();
  private readonly groups = new Map<string, Group>();
  private readonly tokens = new Set<string>();
  private server: Server | null = null;
  private baseUrl = '';

  constructor(private readonly options: BitwardenEmulatorOptions = {}) {
    this.organizationId = options.organizationId ?? randomUUID();
    this.clientId = `organization.${this.organizationId}`;
    this.clientSecret = options.clientSecret ?? randomBytes(15).toString('base64url');
    for (const name of options.groups ?? []) this.addGroup(name);
  }

  /** Both the API and the identity base: `{url}/public/...` and `{url}/connect/token`. */
  get url(): string {
    return this.baseUrl;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(this.options.port ?? 0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  // ---- test and seeding helpers (not part of the API) ----

  addGroup(name: string, externalId: string | null = null): Group {
    const group: Group = { object: 'group', id: randomUUID(), name, externalId, collections: [] };
    this.groups.set(group.id, group);
    return group;
  }

  /** Adds a member directly, e.g. one an admin invited by hand or one that has already accepted. */
  addMember(fields: { email: string; status?: MemberStatusCode; externalId?: string | null; type?: number; groupIds?: string[]; collections?: CollectionAccess[] }): Member {
    const member = newMember(fields.email, fields.type ?? 2, fields.externalId ?? null, fields.collections ?? []);
    member.status = fields.status ?? MemberStatus.Invited;
    if (member.status !== MemberStatus.Invited && member.status !== MemberStatus.Staged) member.userId = randomUUID();
    this.members.set(member.id, { member, priorStatus: member.status, groupIds: new Set(fields.groupIds ?? []) });
    return structuredClone(member);
  }

  /** Puts a member in a group by hand, as an admin would in the web vault. */
  addToGroup(memberId: string, groupId: string): void {
    const stored = this.members.get(memberId);
    if (!stored || !this.groups.has(groupId)) throw new Error(`no member ${memberId} or group ${groupId}`);
    stored.groupIds.add(groupId);
  }

  groupByName(name: string): Group | undefined {
    return [...this.groups.values()].find((group) => group.name === name);
  }

  allMembers(): Array<Member & { groupNames: string[] }> {
    return [...this.members.values()].map(({ member, groupIds }) => ({
      ...structuredClone(member),
      groupNames: [...groupIds].map((id) => this.groups.get(id)?.name ?? id).sort(),
    }));
  }

  memberByExternalId(externalId: string): (Member & { groupNames: string[] }) | undefined {
    return this.allMembers().find((member) => member.externalId === externalId);
  }

  /** Requests that change state (everything but GETs and token requests). */
  writes(): RecordedRequest[] {
    return this.requests.filter((request) => request.method !== 'GET' && request.route !== '/connect/token');
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  // ---- HTTP ----

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const text = await readBody(request);
    const route = url.pathname.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}');
    let status = 200;
    let body: unknown;
    try {
      body = url.pathname === '/connect/token' ? this.token(request, text) : this.api(request, url, text);
    } catch (error) {
      if (!(error instanceof HttpError)) {
        status = 500;
        body = errorBody('An unhandled server error has occurred.');
      } else {
        status = error.status;
        body = error.body;
      }
    }
    this.requests.push({ method: request.method ?? 'GET', route, path: url.pathname, status, body: parseJson(text) });
    if (status === 401) response.setHeader('www-authenticate', 'Bearer');
    if (body === undefined) {
      response.writeHead(status, { 'content-length': '0' }).end();
    } else {
      const json = JSON.stringify(body);
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) }).end(json);
    }
  }

  /** OAuth2 client credentials (public-api.md §2); errors follow Duende's `{error}` convention. */
  private token(request: IncomingMessage, text: string): unknown {
    if (request.method !== 'POST') throw new HttpError(405);
    const form = new URLSearchParams(text);
    if (form.get('grant_type') !== 'client_credentials') throw new HttpError(400, { error: 'unsupported_grant_type' });
    const clientId = form.get('client_id') ?? '';
    const [prefix, orgId] = [clientId.slice(0, clientId.indexOf('.')), clientId.slice(clientId.indexOf('.') + 1)];
    if (prefix !== 'organization' || orgId.toLowerCase() !== this.organizationId || form.get('client_secret') !== this.clientSecret) {
      throw new HttpError(400, { error: 'invalid_client' });
    }
    if (form.get('scope') !== 'api.organization') throw new HttpError(400, { error: 'invalid_scope' });
    const token = randomBytes(24).toString('base64url');
    this.tokens.add(token);
    return { access_token: token, expires_in: 3600, token_type: 'Bearer', scope: 'api.organization' };
  }

  private api(request: IncomingMessage, url: URL, text: string): unknown {
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? url.searchParams.get('access_token');
    if (!bearer || !this.tokens.has(bearer)) throw new HttpError(401);

    const segments = url.pathname.split('/').filter(Boolean);
    if (segments[0] !== 'public') throw new HttpError(404);
    const [, resource, id, sub] = segments;
    if (id !== undefined && !GUID.test(id)) throw modelStateError({ id: [`The value '${id}' is not valid.`] });
    const method = request.method ?? 'GET';
    const key = `${method} ${resource}${id ? '/{id}' : ''}${sub ? `/${sub}` : ''}`;

    switch (key) {
      case 'GET members':
        return { object: 'list', data: [...this.members.values()].map(({ member }) => member), continuationToken: null };
      case 'GET members/{id}':
        return this.member(id!).member;
      case 'POST members':
        return this.invite(requireBody(text));
      case 'POST members/{id}/revoke':
        return this.revoke(id!);
      case 'POST members/{id}/restore':
        return this.restore(id!);
      case 'GET members/{id}/group-ids':
        return [...this.member(id!).groupIds];
      case 'PUT members/{id}/group-ids':
        return this.putGroupIds(id!, requireBody(text));
      case 'GET groups':
        return { object: 'list', data: [...this.groups.values()], continuationToken: null };
      case 'GET groups/{id}': {
        const group = this.groups.get(id!.toLowerCase());
        if (!group) throw new HttpError(404);
        return group;
      }
      case 'POST groups':
        return this.createGroup(requireBody(text));
      default:
        throw new HttpError(404);
    }
  }

  private member(id: string): StoredMember {
    const stored = this.members.get(id.toLowerCase());
    if (!stored) throw new HttpError(404);
    return stored;
  }

  private invite(body: Record<string, unknown>): Member {
    const input = caseInsensitive(body);
    const errors: Record<string, string[]> = {};
    const email = input.email;
    if (typeof email !== 'string' || email.length === 0) errors.Email = ['The Email field is required.'];
    else if (email.length > 256) errors.Email = ['The field Email must be a string with a maximum length of 256.'];
    else if (!STRICT_EMAIL.test(email)) errors.Email = ['The Email field is not a supported e-mail address format.'];
    const type = typeof input.type === 'string' && /^\d+$/.test(input.type) ? Number(input.type) : input.type;
    if (type === undefined || type === null) errors.Type = ['The Type field is required.'];
    else if (typeof type !== 'number' || !MEMBER_TYPES.has(type)) errors.Type = ['The field Type is invalid.'];
    const externalId = input.externalId;
    if (externalId !== undefined && externalId !== null && (typeof externalId !== 'string' || externalId.length > 300)) {
      errors.ExternalId = ['The field ExternalId must be a string with a maximum length of 300.'];
    }
    if (Object.keys(errors).length > 0) throw modelStateError(errors);

    const lowered = (email as string).toLowerCase();
    if ([...this.members.values()].some(({ member }) => member.email.toLowerCase() === lowered)) {
      throw new HttpError(400, errorBody(BitwardenMessages.alreadyInvited));
    }
    const groupIds = Array.isArray(input.groups) ? (input.groups as unknown[]).map(String) : [];
    if (groupIds.some((groupId) => !this.groups.has(groupId.toLowerCase()))) throw new HttpError(400, errorBody('Failed to invite users'));

    const collections = Array.isArray(input.collections) ? (input.collections as CollectionAccess[]) : null;
    const externalText = typeof externalId === 'string' && externalId.trim().length > 0 ? externalId : null;
    const member = newMember(lowered, type as number, externalText, collections ?? []);
    this.members.set(member.id, { member, priorStatus: MemberStatus.Invited, groupIds: new Set(groupIds.map((groupId) => groupId.toLowerCase())) });
    // The POST response echoes the request's collections (null when omitted).
    return { ...structuredClone(member), collections };
  }

  private revoke(id: string): undefined {
    const stored = this.member(id);
    if (stored.member.status === MemberStatus.Revoked) throw new HttpError(400, errorBody(BitwardenMessages.alreadyRevoked));
    stored.priorStatus = stored.member.status;
    stored.member.status = MemberStatus.Revoked;
    return undefined;
  }

  private restore(id: string): undefined {
    const stored = this.member(id);
    if (stored.member.status !== MemberStatus.Revoked) throw new HttpError(400, errorBody(BitwardenMessages.alreadyActive));
    stored.member.status = stored.priorStatus;
    return undefined;
  }

  /** Set replacement: unknown or foreign ids are silently dropped; a missing or null list clears. */
  private putGroupIds(id: string, body: Record<string, unknown>): undefined {
    const stored = this.member(id);
    const requested = caseInsensitive(body).groupIds;
    const ids = Array.isArray(requested) ? requested.map((value) => String(value).toLowerCase()) : [];
    stored.groupIds = new Set(ids.filter((groupId) => this.groups.has(groupId)));
    return undefined;
  }

  private createGroup(body: Record<string, unknown>): Group {
    const input = caseInsensitive(body);
    if (typeof input.name !== 'string' || input.name.length === 0) throw modelStateError({ Name: ['The Name field is required.'] });
    if (input.name.length > 100) throw modelStateError({ Name: ['The field Name must be a string with a maximum length of 100.'] });
    return this.addGroup(input.name, typeof input.externalId === 'string' ? input.externalId : null);
  }
}

function newMember(email: string, type: number, externalId: string | null, collections: CollectionAccess[]): Member {
  return {
    object: 'member',
    id: randomUUID(),
    userId: null,
    name: null,
    email: email.toLowerCase(),
    twoFactorEnabled: false,
    status: MemberStatus.Invited,
    collections,
    resetPasswordEnrolled: false,
    ssoExternalId: null,
    type,
    externalId,
    permissions: null,
  };
}

/** ASP.NET binds JSON property names case-insensitively; the emulator reads them camelCased. */
function caseInsensitive(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([key, value]) => [key.charAt(0).toLowerCase() + key.slice(1), value]));
}

function requireBody(text: string): Record<string, unknown> {
  const body = parseJson(text);
  if (body === undefined || body === null) throw modelStateError({ '': ['Body is empty.'] });
  if (typeof body !== 'object' || Array.isArray(body)) throw modelStateError({ $: ['The JSON value could not be converted.'] });
  return body as Record<string, unknown>;
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
