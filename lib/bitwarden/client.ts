import { setTimeout as sleep } from 'node:timers/promises';
import { currentCallScope, timeLeftInScope } from './call-scope.js';
import { BitwardenError, BitwardenMessages, RateBudgetExhaustedError, RevokeUnsupportedError } from './errors.js';
import { callKey, LocalRateBudget, NORMAL_HORIZON_MS, type CallKey, type RateBudget } from './rate-budget.js';
import type { Group, GroupRequest, ImportedMember, InviteRequest, Member, MemberUpdateRequest } from './types.js';

export interface BitwardenCredentials {
  clientId: string;
  clientSecret: string;
}

export interface BitwardenClientOptions {
  /** API base: calls go to `{apiUrl}/public/...`. */
  apiUrl: string;
  /** Identity base: tokens come from `{identityUrl}/connect/token`. */
  identityUrl: string;
  /** Read on first use and again after a 401, so a rotated secret needs no restart. */
  credentials: () => Promise<BitwardenCredentials>;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Retries after the first attempt, for 5xx, 429 and network errors. */
  maxRetries?: number;
  /** The longest single wait the caller can afford; a longer one fails fast so the queue retries later. Also bounded by the call scope's remaining time. */
  maxWaitMs?: number;
  /**
   * The rate budget every invocation shares (lib/store/rate-budget-store.ts), for the counters
   * several invocations use at once (`POST /public/members`, the listings, tokens). Per-member
   * counters are kept in this process. Without one, every counter is kept in this process.
   */
  sharedBudget?: RateBudget;
  /** Where invocations share one access token; without it, this process asks for its own. */
  sharedToken?: SharedToken;
  /** False for servers without rate limits (self-hosted, docs/reference/bitwarden-public-api.md §10): calls are sent at once. */
  rateLimited?: boolean;
  /** Told of every answer (status 0: none came), for metrics. */
  onResponse?: (operation: string, status: number) => void;
}

/** Refresh this long before `expires_in` says the token dies. */
const TOKEN_MARGIN_MS = 5 * 60_000;

/** Kept from the invocation's remaining time for the call itself and what follows it. */
const TIME_FOR_THE_CALL_MS = 3_000;

/** What an invocation keeps after its last Bitwarden request, to record the outcome and return its message. */
const TIME_AFTER_THE_REQUEST_MS = 2_000;

/** A 429 without Retry-After still backs off: at least this long (the server's shortest window is a second). */
const MIN_THROTTLED_WAIT_MS = 1_000;

/** An access token, and the epoch ms after which it is no longer used (minutes before Bitwarden's expiry). */
export interface AccessToken {
  value: string;
  expiresAt: number;
}

/**
 * One access token for every invocation: Bitwarden grants 10 token requests a minute
 * (docs/reference/bitwarden-public-api.md §10), and each new container would otherwise spend one.
 */
export interface SharedToken {
  read(): Promise<AccessToken | null>;
  write(token: AccessToken): Promise<void>;
  /** Forgets `value` if it is still the shared token: a 401 said it is no longer good. */
  forget(value: string): Promise<void>;
}

/**
 * Bitwarden organization Public API client (docs/reference/bitwarden-public-api.md). One token for all calls,
 * refreshed by one request at a time; bounded retries with backoff; typed errors; and Bitwarden's
 * "already so" answers returned as outcomes rather than thrown.
 */
export class BitwardenClient {
  private token: AccessToken | null = null;
  private tokenRequest: Promise<AccessToken> | null = null;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly maxWaitMs: number;
  private readonly localBudget = new LocalRateBudget();

  constructor(private readonly options: BitwardenClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxRetries = options.maxRetries ?? 3;
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
  }

  listMembers(): Promise<Member[]> {
    return this.call<{ data: Member[] }>('GET', '/public/members').then((list) => list.data);
  }

  /** `null` when the member does not exist (or belongs to another organization). */
  getMember(id: string): Promise<Member | null> {
    return this.getOrNull<Member>(`/public/members/${id}`);
  }

  /** Invites by e-mail. Throws a BitwardenError that `.is(alreadyInvited)` when the e-mail is already in the organization. */
  inviteMember(request: InviteRequest): Promise<Member> {
    return this.call<Member>('POST', '/public/members', request);
  }

  /**
   * Changes a member's type, externalId or permissions. Reads the member first and sends the whole
   * object: a PUT without `collections` would wipe its collection access, one without `externalId`
   * would clear it. Groups are left as they are.
   */
  async updateMember(id: string, change: Partial<Pick<MemberUpdateRequest, 'type' | 'externalId' | 'permissions'>>): Promise<Member> {
    const current = await this.call<Member>('GET', `/public/members/${id}`);
    const type = change.type ?? current.type;
    const body: MemberUpdateRequest = {
      type,
      externalId: change.externalId !== undefined ? change.externalId : current.externalId,
      collections: (current.collections ?? []).map(({ id: collectionId, readOnly, hidePasswords, manage }) => ({ id: collectionId, readOnly, hidePasswords, manage })),
      ...(type === 4 ? { permissions: change.permissions ?? current.permissions } : {}),
    };
    return this.call<Member>('PUT', `/public/members/${id}`, body);
  }

  /** Removes the membership (the account stays). Prefer revoke: it is reversible. */
  async deleteMember(id: string): Promise<void> {
    await this.call('DELETE', `/public/members/${id}`);
  }

  /** Sends the invitation e-mail again; only for members still Invited. */
  async reinviteMember(id: string): Promise<void> {
    await this.call('POST', `/public/members/${id}/reinvite`);
  }

  revokeMember(id: string): Promise<'revoked' | 'already-revoked'> {
    return this.lifecycleAction(id, 'revoke', BitwardenMessages.alreadyRevoked).then((done) => (done ? 'revoked' : 'already-revoked'));
  }

  restoreMember(id: string): Promise<'restored' | 'already-active'> {
    return this.lifecycleAction(id, 'restore', BitwardenMessages.alreadyActive).then((done) => (done ? 'restored' : 'already-active'));
  }

  getMemberGroupIds(id: string): Promise<string[]> {
    return this.call<string[]>('GET', `/public/members/${id}/group-ids`);
  }

  /** Replaces the member's whole set of groups (an empty list removes every membership). */
  async setMemberGroupIds(id: string, groupIds: string[]): Promise<void> {
    await this.call('PUT', `/public/members/${id}/group-ids`, { groupIds });
  }

  listGroups(): Promise<Group[]> {
    return this.call<{ data: Group[] }>('GET', '/public/groups').then((list) => list.data);
  }

  getGroup(id: string): Promise<Group | null> {
    return this.getOrNull<Group>(`/public/groups/${id}`);
  }

  /** Bitwarden does not keep group names unique: a repeated create makes a second group. */
  createGroup(request: GroupRequest): Promise<Group> {
    return this.call<Group>('POST', '/public/groups', request);
  }

  getGroupMemberIds(id: string): Promise<string[]> {
    return this.call<string[]>('GET', `/public/groups/${id}/member-ids`);
  }

  /** Replaces the group's whole membership (an empty list empties the group). */
  async setGroupMemberIds(id: string, memberIds: string[]): Promise<void> {
    await this.call('PUT', `/public/groups/${id}/member-ids`, { memberIds });
  }

  /**
   * Invites many members in one call, as Directory Connector does (docs/reference/bitwarden-public-api.md §8):
   * members only, never groups (an import replaces the membership of every group it names), and
   * `overwriteExisting: false`, so no member outside the list is touched. Each is invited as a
   * User; an e-mail already in the organization is skipped without an error, and an existing member
   * without an externalId whose e-mail matches adopts the one given.
   */
  async importMembers(members: readonly ImportedMember[]): Promise<void> {
    if (members.length > MAX_IMPORT_MEMBERS) throw new RangeError(`an import holds at most ${MAX_IMPORT_MEMBERS} members, not ${members.length}`);
    await this.call('POST', '/public/organization/import', { groups: [], members: members.map(({ email, externalId }) => ({ email, externalId, deleted: false })), overwriteExisting: false, largeImport: false });
  }

  /** A GET whose 404 (unknown id, or another organization's) means "no such thing". */
  private async getOrNull<T>(path: string): Promise<T | null> {
    try {
      return await this.call<T>('GET', path);
    } catch (error) {
      if (error instanceof BitwardenError && error.status === 404) return null;
      throw error;
    }
  }

  /**
   * Revoke or restore. Bitwarden's 400 `alreadyMessage` means it was already done (false). A 404
   * for a member that exists means the server predates these endpoints.
   */
  private async lifecycleAction(id: string, action: 'revoke' | 'restore', alreadyMessage: string): Promise<boolean> {
    try {
      await this.call('POST', `/public/members/${id}/${action}`);
      return true;
    } catch (error) {
      if (!(error instanceof BitwardenError)) throw error;
      if (error.is(alreadyMessage)) return false;
      if (error.status === 404 && (await this.getMember(id))) throw new RevokeUnsupportedError(error.operation);
      throw error;
    }
  }

  /**
   * One call, within the rate budget: it starts when its counter has a slot (never to be refused),
   * and is retried after 5xx, 429 and network errors. A 429 tells the budget the counter is spent
   * until its Retry-After, so the retry (and every other caller) waits for that.
   */
  private async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const operation = `${method} ${path.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}')}`;
    const key = callKey(method, path);
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.send(method, path, body, operation, key, attempt === 0)) as T;
      } catch (error) {
        if (!(error instanceof BitwardenError) || !error.retryable || attempt >= this.maxRetries) throw error;
        if (error.status === 429) {
          const waitMs = Math.max(MIN_THROTTLED_WAIT_MS, (error.retryAfterSeconds ?? 0) * 1000) + backoff(0);
          // The budget makes this call, and every other on the counter, wait; the next attempt's slot says whether it can.
          if (this.options.rateLimited !== false) await this.budgetFor(key).exhaustedUntil(key, Date.now() + waitMs, Date.now());
          else if (waitMs > this.longestWait()) throw new RateBudgetExhaustedError(operation, waitMs);
          else await sleep(waitMs);
          continue;
        }
        const wait = backoff(attempt);
        if (wait > this.longestWait()) throw error;
        await sleep(wait);
      }
    }
  }

  /** The longest this call may wait: the client's limit, and what the invocation has left. */
  private longestWait(): number {
    return Math.max(0, Math.min(this.maxWaitMs, timeLeftInScope() - TIME_FOR_THE_CALL_MS));
  }

  private budgetFor(key: CallKey): RateBudget {
    return key.shared && this.options.sharedBudget ? this.options.sharedBudget : this.localBudget;
  }

  /**
   * Waits for the counter's slot; when none comes within the time this call may wait, the caller is
   * told when to come back. The normal lane waits at most NORMAL_HORIZON_MS, so that it never books
   * slots far ahead of a revocation; calls outside a message (admin work) wait as long as they may.
   */
  private async slot(key: CallKey, operation: string): Promise<void> {
    if (this.options.rateLimited === false) return;
    const scope = currentCallScope();
    const priority = scope?.priority ?? 'normal';
    const maxWait = Math.min(scope?.priority === 'normal' ? NORMAL_HORIZON_MS : Number.POSITIVE_INFINITY, scope?.slotPatienceMs ?? Number.POSITIVE_INFINITY, this.longestWait());
    const reservation = await this.budgetFor(key).reserve(key, priority, maxWait, Date.now());
    if (!reservation.granted) throw new RateBudgetExhaustedError(operation, reservation.waitMs);
    if (reservation.waitMs > 0) await sleep(reservation.waitMs);
  }

  /** The server's own count: a spent counter (X-Rate-Limit-Remaining 0) waits for its reset (docs/reference/bitwarden-public-api.md §10). */
  private async observeLimit(key: CallKey, response: Response): Promise<void> {
    if (response.headers.get('x-rate-limit-remaining') !== '0') return;
    const reset = Date.parse(response.headers.get('x-rate-limit-reset') ?? '');
    if (Number.isFinite(reset)) await this.budgetFor(key).exhaustedUntil(key, reset, Date.now());
  }

  private async send(method: string, path: string, body: unknown, operation: string, key: CallKey, mayReauthenticate: boolean): Promise<unknown> {
    // The token before the slot: a slot booked while the token is on its way could be sent late, beside the next one's.
    const token = await this.accessToken();
    await this.slot(key, operation);
    const response = await this.fetch(operation, `${this.options.apiUrl}/public${path.slice('/public'.length)}`, {
      method,
      headers: { authorization: `Bearer ${token.value}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    await this.observeLimit(key, response);
    if (response.status === 401 && mayReauthenticate) {
      // The token was revoked or the key rotated: forget both and try once more.
      await this.invalidateToken(token);
      return this.send(method, path, body, operation, key, false);
    }
    const text = await response.text();
    if (response.ok) return text.length > 0 && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined;
    throw errorFrom(operation, response, text);
  }

  /**
   * Starts getting the access token, if this client has none, without waiting for it: the first
   * revocation of a cold container then finds it ready instead of asking after its own reads. A
   * failure is left to the call that needs the token, which asks again.
   */
  warmUp(): void {
    void this.accessToken().catch(() => undefined);
  }

  private async accessToken(): Promise<AccessToken> {
    if (this.token && this.token.expiresAt > Date.now()) return this.token;
    this.tokenRequest ??= this.sharedOrNewToken().finally(() => {
      this.tokenRequest = null;
    });
    return this.tokenRequest;
  }

  /** The token another invocation shared, else a new one, shared in turn (its sharing may fail: it is used all the same). */
  private async sharedOrNewToken(): Promise<AccessToken> {
    const shared = this.options.sharedToken;
    const known = await shared?.read().catch(() => null);
    if (known && known.expiresAt > Date.now()) return (this.token = known);
    const fresh = await this.requestToken();
    await shared?.write(fresh).catch(() => undefined);
    return fresh;
  }

  private async invalidateToken(token: AccessToken): Promise<void> {
    if (this.token === token) this.token = null;
    await this.options.sharedToken?.forget(token.value).catch(() => undefined);
  }

  private async requestToken(): Promise<AccessToken> {
    const credentials = await this.options.credentials();
    const operation = 'POST /connect/token';
    const key = callKey('POST', '/connect/token');
    await this.slot(key, operation);
    const response = await this.fetch(operation, `${this.options.identityUrl}/connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api.organization', client_id: credentials.clientId, client_secret: credentials.clientSecret }).toString(),
    });
    await this.observeLimit(key, response);
    const text = await response.text();
    if (!response.ok) throw errorFrom(operation, response, text);
    const payload = JSON.parse(text) as { access_token: string; expires_in: number };
    this.token = { value: payload.access_token, expiresAt: Date.now() + Math.max(0, payload.expires_in * 1000 - TOKEN_MARGIN_MS) };
    return this.token;
  }

  /** A request never outlives its invocation: it is cut to the time the call scope has left, less the time to record its outcome. */
  private async fetch(operation: string, url: string, init: RequestInit): Promise<Response> {
    const timeoutMs = Math.floor(Math.min(this.timeoutMs, timeLeftInScope() - TIME_AFTER_THE_REQUEST_MS));
    if (timeoutMs <= 0) throw Object.assign(new BitwardenError(operation, 0, null, true), { cause: 'not sent: the invocation has no time left for it' });
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      this.options.onResponse?.(operation, response.status);
      return response;
    } catch (error) {
      this.options.onResponse?.(operation, 0);
      const reason = (error as Error).name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (error as Error).message;
      throw Object.assign(new BitwardenError(operation, 0, null, true), { cause: reason });
    }
  }
}

/** The most members one import may carry without `largeImport` on cloud (docs/reference/bitwarden-public-api.md §8). */
export const MAX_IMPORT_MEMBERS = 2_000;

/** Exponential backoff with full jitter: 0–200 ms, 0–400 ms, 0–800 ms, … */
function backoff(attempt: number): number {
  return Math.random() * 200 * 2 ** attempt;
}

function errorFrom(operation: string, response: Response, text: string): BitwardenError {
  let message: string | null = null;
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    message = typeof body.message === 'string' ? body.message : typeof body.error === 'string' ? body.error : null;
  } catch {
    // Controller 404s, 401s and 403s have empty bodies.
  }
  // A missing Retry-After is "unknown", not "0": Number(null) would make it 0 and retry at once.
  const retryAfterHeader = response.headers.get('retry-after');
  const retryAfter = retryAfterHeader === null ? Number.NaN : Number(retryAfterHeader);
  const retryable = response.status >= 500 || response.status === 429;
  return new BitwardenError(operation, response.status, message, retryable, response.status === 429 && Number.isFinite(retryAfter) ? retryAfter : null);
}
