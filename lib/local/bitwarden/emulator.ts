import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CollectionAccess, Group, Member } from '../../bitwarden/types.js';
import type { MemberStatusCode } from '../../vocabulary/bitwarden.js';
import { HttpError, modelStateError, notFound, serverError } from './http-error.js';
import { listenOnLoopback, type LoopbackServer } from '../loopback-server.js';
import { EmulatedOrganization } from './organization.js';
import { parseOrganizationImport } from './organization-import.js';
import { RateLimiter, rateLimited } from './rate-limiter.js';

/**
 * A local Bitwarden server for one organization, answering as docs/reference/bitwarden-public-api.md says the
 * real one does: client-credentials tokens, 401/403 with empty bodies, creates 200, actions 200
 * with an empty body, controller 404s empty, integer enums, Bitwarden's error model and texts.
 * Optional: the cloud's rate limits, a pre-v2026.2.0 server (no revoke/restore), plans without
 * groups or directory syncing, and injected faults (latency, 5xx, 429, dropped connections).
 * Every exchange is recorded for tests.
 */

export interface Exchange {
  /** When the request arrived (epoch ms). */
  at: number;
  method: string;
  /** The path with ids replaced by `{id}`, e.g. `/public/members/{id}/revoke`. */
  route: string;
  path: string;
  /** The request body as sent (parsed JSON, form text, or undefined). */
  body: unknown;
  requestContentType: string | undefined;
  status: number;
  /** The response body (parsed JSON), or undefined when it was empty. */
  response: unknown;
  responseContentType: string | undefined;
}

/** `429-no-retry-after`: a 429 without Retry-After, as a proxy in front of the server may answer. */
export type InjectedFault = 500 | 502 | 503 | 429 | '429-no-retry-after' | 'drop';

export interface FaultSettings {
  /** Added to every API answer, in ms ([min, max] for a uniform spread). */
  latencyMs?: number | [number, number];
  /** Shares of API requests (0–1) answered 500, answered 429, or whose connection is dropped. */
  serverErrorRate?: number;
  rateLimitRate?: number;
  dropRate?: number;
  /** Retry-After of injected 429s. */
  retryAfterSeconds?: number;
}

export interface BitwardenEmulatorOptions {
  port?: number;
  organizationId?: string;
  clientSecret?: string;
  /** Group names that exist from the start. */
  groups?: string[];
  /**
   * Cloud mode: Bitwarden's IP rate limits (writes 5/s and 60/min per path, reads 200/min, tokens
   * 10/min), and the X-Rate-Limit-* headers on every answer that is not a 429.
   */
  rateLimits?: boolean;
  /** Server version: below 2026.2.0 revoke/restore do not exist (404); below 2025.11.1 the member list has no collections. */
  serverVersion?: string;
  useGroups?: boolean;
  /** False: a plan without directory syncing, which answers every import 400. */
  useDirectory?: boolean;
  tokenLifetimeSeconds?: number;
  faults?: FaultSettings;
}

const GUID_IN_PATH = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const versionAtLeast = (version: string, minimum: string) => {
  const [a, b] = [version, minimum].map((text) => text.split('.').map(Number));
  for (let index = 0; index < 3; index++) if ((a![index] ?? 0) !== (b![index] ?? 0)) return (a![index] ?? 0) > (b![index] ?? 0);
  return true;
};

export class BitwardenEmulator {
  readonly organizationId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly exchanges: Exchange[] = [];
  readonly organization: EmulatedOrganization;
  faults: FaultSettings;
  private readonly scripted: InjectedFault[] = [];
  /** Faults for the next requests to one route (as exchanges name it, e.g. `/public/organization/import`), before those of any route. */
  private readonly scriptedFor = new Map<string, InjectedFault[]>();
  private readonly tokens = new Map<string, { scope: string; expiresAt: number }>();
  private readonly limiter: RateLimiter | null;
  private readonly supportsRevoke: boolean;
  private server: LoopbackServer | null = null;
  private baseUrl = '';

  constructor(private readonly options: BitwardenEmulatorOptions = {}) {
    this.organizationId = options.organizationId ?? randomUUID();
    this.clientId = `organization.${this.organizationId}`;
    this.clientSecret = options.clientSecret ?? randomBytes(15).toString('base64url');
    const version = options.serverVersion ?? '2026.8.0';
    this.supportsRevoke = versionAtLeast(version, '2026.2.0');
    this.organization = new EmulatedOrganization({ useGroups: options.useGroups, useDirectory: options.useDirectory, listIncludesCollections: versionAtLeast(version, '2025.11.1') });
    this.limiter = options.rateLimits ? new RateLimiter() : null;
    this.faults = options.faults ?? {};
    for (const name of options.groups ?? []) this.organization.addGroup(name);
  }

  /** Both the API and the identity base: `{url}/public/...` and `{url}/connect/token`. */
  get url(): string {
    return this.baseUrl;
  }

  async start(): Promise<this> {
    this.server = await listenOnLoopback((request, response) => this.handle(request, response), this.options.port);
    this.baseUrl = this.server.url;
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = null;
  }

  // ---- test helpers (not part of the API) ----

  addGroup(name: string, externalId: string | null = null): Group {
    return this.organization.addGroup(name, externalId);
  }

  addMember(fields: { email: string; status?: MemberStatusCode; externalId?: string | null; type?: number; groupIds?: string[]; collections?: CollectionAccess[] }): Member {
    return this.organization.addMember(fields);
  }

  addToGroup(memberId: string, groupId: string): void {
    this.organization.addToGroup(memberId, groupId);
  }

  allMembers(): Array<Member & { groupNames: string[] }> {
    return this.organization.snapshot();
  }

  memberByExternalId(externalId: string): (Member & { groupNames: string[] }) | undefined {
    return this.organization.findMember((member) => member.externalId === externalId);
  }

  groupByName(name: string): Group | undefined {
    return this.organization.groupList().find((group) => group.name === name);
  }

  /** Answers the next API requests with these faults, in order, before any other handling. */
  failNext(...faults: InjectedFault[]): void {
    this.scripted.push(...faults);
  }

  /** Answers the next requests to this route with these faults, in order, whatever the requests to other routes. */
  failNextOn(route: string, ...faults: InjectedFault[]): void {
    this.scriptedFor.set(route, [...(this.scriptedFor.get(route) ?? []), ...faults]);
  }

  /** A valid token of another scope (e.g. a user's personal key, `api`): the API answers it 403. */
  issueToken(scope: string): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { scope, expiresAt: Date.now() + 3_600_000 });
    return token;
  }

  /** Makes every issued token expire now, as after an hour or a key rotation. */
  expireTokens(): void {
    for (const token of this.tokens.values()) token.expiresAt = 0;
  }

  /** Recorded requests, excluding token requests. */
  get requests(): Exchange[] {
    return this.exchanges.filter((exchange) => exchange.route !== '/connect/token');
  }

  /** Requests that change state (everything but GETs and token requests). */
  writes(): Exchange[] {
    return this.requests.filter((exchange) => exchange.method !== 'GET');
  }

  tokenRequests(): Exchange[] {
    return this.exchanges.filter((exchange) => exchange.route === '/connect/token');
  }

  clearRequests(): void {
    this.exchanges.length = 0;
  }

  // ---- HTTP ----

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const text = await readBody(request);
    const method = request.method ?? 'GET';
    const exchange: Exchange = {
      at: Date.now(),
      method,
      route: url.pathname.replace(GUID_IN_PATH, '{id}'),
      path: url.pathname,
      // Token requests carry the client secret: never keep it, even in memory.
      body: url.pathname === '/connect/token' ? redactSecret(text) : parseBody(text),
      requestContentType: request.headers['content-type'],
      status: 200,
      response: undefined,
      responseContentType: undefined,
    };
    let headers: Record<string, string> = {};
    try {
      if (url.pathname !== '/connect/token') {
        // Injected faults stand for failures in front of the server: not counted, no rate-limit headers.
        const fault = this.nextFault(exchange.route);
        if (fault === 'drop') {
          exchange.status = 0;
          this.exchanges.push(exchange);
          request.socket.destroy();
          return;
        }
        await this.delay();
        if (fault === 429) throw rateLimited(this.faults.retryAfterSeconds ?? 1);
        if (fault === '429-no-retry-after') throw rateLimited(null);
        if (fault !== null) throw serverError(fault);
      }
      // The cloud's limiter runs before authentication and routing, so 401s and 404s count too (docs/reference/bitwarden-public-api.md §10).
      headers = this.limiter?.check(method, url.pathname) ?? {};
      if (url.pathname === '/connect/token') {
        exchange.response = this.token(method, text);
      } else {
        this.authenticate(request, url);
        exchange.response = this.route(method, url.pathname, text, request.headers['content-type']);
      }
    } catch (error) {
      const failure = error instanceof HttpError ? error : serverError();
      exchange.status = failure.status;
      exchange.response = failure.body;
      headers = { ...headers, ...failure.headers };
    }
    if (exchange.status === 401) headers['www-authenticate'] = 'Bearer';
    this.exchanges.push(exchange);
    if (exchange.response === undefined) {
      response.writeHead(exchange.status, { ...headers, 'content-length': '0' }).end();
    } else {
      const json = JSON.stringify(exchange.response);
      exchange.responseContentType = 'application/json; charset=utf-8';
      response.writeHead(exchange.status, { ...headers, 'content-type': exchange.responseContentType, 'content-length': Buffer.byteLength(json) }).end(json);
    }
  }

  private nextFault(route: string): InjectedFault | null {
    const scripted = this.scriptedFor.get(route)?.shift() ?? this.scripted.shift();
    if (scripted !== undefined) return scripted;
    const { serverErrorRate = 0, rateLimitRate = 0, dropRate = 0 } = this.faults;
    const roll = Math.random();
    if (roll < dropRate) return 'drop';
    if (roll < dropRate + serverErrorRate) return 500;
    if (roll < dropRate + serverErrorRate + rateLimitRate) return 429;
    return null;
  }

  private async delay(): Promise<void> {
    const latency = this.faults.latencyMs;
    if (!latency) return;
    const ms = Array.isArray(latency) ? latency[0] + Math.random() * (latency[1] - latency[0]) : latency;
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** OAuth2 client credentials (docs/reference/bitwarden-public-api.md §2); errors follow Duende's `{error}` convention. */
  private token(method: string, text: string): unknown {
    if (method !== 'POST') throw new HttpError(405);
    const form = new URLSearchParams(text);
    if (form.get('grant_type') !== 'client_credentials') throw new HttpError(400, { error: 'unsupported_grant_type' });
    const clientId = form.get('client_id') ?? '';
    const dot = clientId.indexOf('.');
    if (dot < 0 || clientId.slice(0, dot) !== 'organization' || clientId.slice(dot + 1).toLowerCase() !== this.organizationId || form.get('client_secret') !== this.clientSecret) {
      throw new HttpError(400, { error: 'invalid_client' });
    }
    if (form.get('scope') !== 'api.organization') throw new HttpError(400, { error: 'invalid_scope' });
    const lifetime = this.options.tokenLifetimeSeconds ?? 3600;
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { scope: 'api.organization', expiresAt: Date.now() + lifetime * 1000 });
    return { access_token: token, expires_in: lifetime, token_type: 'Bearer', scope: 'api.organization' };
  }

  /** Bearer header or `access_token` query; unknown or expired → 401, wrong scope → 403, both with empty bodies. */
  private authenticate(request: IncomingMessage, url: URL): void {
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? url.searchParams.get('access_token');
    const token = bearer ? this.tokens.get(bearer) : undefined;
    if (!token || token.expiresAt <= Date.now()) throw new HttpError(401);
    if (token.scope !== 'api.organization') throw new HttpError(403);
  }

  private route(method: string, path: string, text: string, contentType: string | undefined): unknown {
    const segments = path.split('/').filter(Boolean);
    if (segments[0] !== 'public' || segments.length > 4) throw notFound();
    const [, resource, id, action] = segments;
    const org = this.organization;
    const body = () => requireJsonBody(text, contentType);
    // `/public/organization/import` has a word where every other route has an id.
    if (resource === 'organization') {
      if (method === 'POST' && id === 'import' && action === undefined) return org.importOrganization(parseOrganizationImport(body()));
      throw notFound();
    }
    if (id !== undefined && !GUID.test(id)) throw modelStateError({ id: [`The value '${id}' is not valid.`] });
    const key = `${method} ${resource}${id ? '/{id}' : ''}${action ? `/${action}` : ''}`;

    switch (key) {
      case 'GET members': return org.listMembers();
      case 'POST members': return org.invite(body());
      case 'GET members/{id}': return org.getMember(id!);
      case 'PUT members/{id}': return org.updateMember(id!, body());
      case 'DELETE members/{id}': return org.removeMember(id!);
      case 'POST members/{id}/reinvite': return org.reinvite(id!);
      case 'POST members/{id}/revoke': if (!this.supportsRevoke) throw notFound(); return org.revoke(id!);
      case 'POST members/{id}/restore': if (!this.supportsRevoke) throw notFound(); return org.restore(id!);
      case 'GET members/{id}/group-ids': return org.getMemberGroupIds(id!);
      case 'PUT members/{id}/group-ids': return org.putMemberGroupIds(id!, body());
      case 'GET groups': return org.listGroups();
      case 'POST groups': return org.createGroup(body());
      case 'GET groups/{id}': return org.getGroup(id!);
      case 'PUT groups/{id}': return org.updateGroup(id!, body());
      case 'DELETE groups/{id}': return org.deleteGroup(id!);
      case 'GET groups/{id}/member-ids': return org.getGroupMemberIds(id!);
      case 'PUT groups/{id}/member-ids': return org.putGroupMemberIds(id!, body());
      default: throw notFound();
    }
  }
}

/** A JSON object body, as the MVC binder and Bitwarden's filter require it. */
function requireJsonBody(text: string, contentType: string | undefined): Record<string, unknown> {
  if (text.length > 0 && !/^application\/([\w.+-]*\+)?json\b/i.test(contentType ?? '')) throw new HttpError(415);
  if (text.trim().length === 0) throw modelStateError({ '': ['Body is empty.'] });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw modelStateError({ $: ["'' is an invalid start of a value. Path: $ | LineNumber: 0 | BytePositionInLine: 0."] });
  }
  if (body === null) throw modelStateError({ '': ['Body is empty.'] });
  if (typeof body !== 'object' || Array.isArray(body)) throw modelStateError({ $: ['The JSON value could not be converted to the request model. Path: $'] });
  return body as Record<string, unknown>;
}

function redactSecret(form: string): string {
  const fields = new URLSearchParams(form);
  if (fields.has('client_secret')) fields.set('client_secret', '[redacted]');
  return fields.toString();
}

function parseBody(text: string): unknown {
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
