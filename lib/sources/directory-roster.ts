import { createHash } from 'node:crypto';
import * as z from '../vocabulary/zod.js';
import { formatPath } from '../vocabulary/field-path.js';
import { WorkerRecordSchema, type WorkerRecord } from '../vocabulary/worker-record.js';
import type { RosterPage, RosterProblem, RosterRecord } from './roster.js';
import { ProviderApiError, providerRequest } from './source-api.js';

/**
 * What the directory sources (LDAP, Google Workspace, Entra ID, Okta, OneLogin: README,
 * "Directories") share: a directory account as a worker record, a page of them with the accounts
 * that do not map reported, and the paged, token-authenticated JSON reads of their APIs.
 */

/** A directory account in the record's terms: the source fills what its directory has. */
export interface DirectoryAccount {
  id: string;
  email: unknown;
  firstName?: unknown;
  lastName?: unknown;
  displayName?: unknown;
  jobTitle?: unknown;
  department?: unknown;
  managerWorkEmail?: unknown;
  /** Disabled, suspended, deprovisioned: the account can no longer sign in. */
  active: boolean;
  attributes?: Record<string, string | null>;
  /** The directory's own modification time (RFC 3339), where it keeps one. */
  modifiedAt?: string | null;
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

/** One account as a roster record, or why it is kept out (the rest of the page is still read). */
export function directoryRecord(account: DirectoryAccount): { entry: RosterRecord } | { problem: RosterProblem } {
  const parsed = WorkerRecordSchema.safeParse({
    externalId: account.id,
    workEmail: text(account.email),
    firstName: text(account.firstName),
    lastName: text(account.lastName),
    displayName: text(account.displayName),
    jobTitle: text(account.jobTitle),
    department: text(account.department),
    managerWorkEmail: text(account.managerWorkEmail),
    // A directory knows no leave or future start: an account that cannot sign in has left.
    status: account.active ? 'active' : 'terminated',
    attributes: account.attributes ?? {},
  } satisfies Partial<Record<keyof WorkerRecord, unknown>>);
  if (!parsed.success) return { problem: { at: `account ${account.id}`, reason: parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ') } };
  const modifiedAt = account.modifiedAt && !Number.isNaN(Date.parse(account.modifiedAt)) ? new Date(account.modifiedAt).toISOString() : null;
  return { entry: { record: parsed.data, modifiedAt } };
}

/** A page of accounts: the ones that map as records, the others as problems (so that the read removes nobody). */
export function directoryPage(accounts: readonly DirectoryAccount[], next: string | null): RosterPage & { problems: RosterProblem[] } {
  const records: RosterRecord[] = [];
  const problems: RosterProblem[] = [];
  for (const account of accounts) {
    const read = directoryRecord(account);
    if ('entry' in read) records.push(read.entry);
    else problems.push(read.problem);
  }
  return { records, problems, next };
}

/** Tokens by who asked where (a hash: no credential is kept as a key), reused until a minute before they expire. */
const tokens = new Map<string, { token: string; expiresAt: number }>();

/** A list read may be large and slow on a big tenant. */
const LIST_TIMEOUT_MS = 60_000;

/** A 2xx JSON answer of the documented shape, with its headers (paging travels in some of them); anything else is the API's failure. */
export async function directoryRequest<S extends z.ZodMiniType>(operation: string, url: string, init: RequestInit, schema: S): Promise<{ body: z.output<S>; headers: Headers }> {
  let answer;
  try {
    answer = await providerRequest(operation, url, init, LIST_TIMEOUT_MS);
  } catch (error) {
    // A token refused before it expired (revoked, or the app's secret rotated) must not be reused by the next read.
    if (error instanceof ProviderApiError && error.status === 401) tokens.clear();
    throw error;
  }
  const { status, body, headers } = answer;
  if (status === 404) throw new ProviderApiError(operation, status, 'not found: check the API URL (and tenant or customer) in the settings');
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ProviderApiError(operation, status, `unexpected answer at ${formatPath(parsed.error.issues[0]!.path) || 'the top'}: ${parsed.error.issues[0]!.message}`);
  return { body: parsed.data, headers };
}

/**
 * The next page's link as the API gave it, refused unless it stays on the API's own origin: the
 * request carries the directory's token, which must never go anywhere else.
 */
export function nextLinkOn(apiUrl: string, link: string, operation: string): string {
  const next = new URL(link, `${apiUrl}/`);
  if (next.origin !== new URL(apiUrl).origin) throw new ProviderApiError(operation, 200, `the next page's link leaves ${new URL(apiUrl).origin}; it is not followed`);
  return next.href;
}

const TokenSchema = z.object({ access_token: z.string().check(z.minLength(1)), expires_in: z.optional(z.number()) });

/**
 * An OAuth 2.0 access token (client credentials or a JWT bearer grant: `request` is the token
 * request), cached for the warm Lambda's next pages and reads.
 */
export async function accessToken(operation: string, tokenUrl: string, request: () => RequestInit, cacheKey: string, now = Date.now()): Promise<string> {
  const key = createHash('sha256').update(`${tokenUrl}\n${cacheKey}`).digest('hex');
  const cached = tokens.get(key);
  if (cached && cached.expiresAt > now) return cached.token;
  const { body } = await directoryRequest(operation, tokenUrl, { method: 'POST', ...request() }, TokenSchema);
  tokens.set(key, { token: body.access_token, expiresAt: now + ((body.expires_in ?? 3600) - 60) * 1000 });
  return body.access_token;
}

/** An `application/x-www-form-urlencoded` token request body. */
export const formBody = (fields: Record<string, string>): RequestInit => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
