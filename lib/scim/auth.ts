import { createHash, timingSafeEqual } from 'node:crypto';
import type { CallKey, Pace, RateBudget } from '../bitwarden/rate-budget.js';
import type { IdentityProviderName } from '../config/schema.js';
import { ScimError } from './errors.js';

/**
 * Who is calling: each identity provider has its own keys (several during a rotation), and the key
 * a request carries names its source. The key is read as Bitwarden reads its SCIM key
 * (docs/reference/bitwarden-public-api.md §12): `Authorization: Bearer <key>`, the prefix optional.
 */

/** The variable holding an identity provider's SCIM keys, space- or comma-separated; `<VAR>_ARN` names a Secrets Manager secret instead. */
export const scimKeysVariable = (provider: IdentityProviderName) => `${provider.toUpperCase()}_SCIM_KEYS`;

/** The key `npm start` uses when none is set: local use only, never in AWS. */
export const localScimKey = (provider: IdentityProviderName) => `local-scim-key-${provider}`;

/** Reads a provider's keys; `refresh` asks past any cache (after a key matched none). */
export type ScimKeys = (provider: IdentityProviderName, options?: { refresh?: boolean }) => Promise<string[]>;

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** The bearer key of a request, or null. */
export function bearerKey(authorization: string | undefined): string | null {
  const value = authorization?.trim();
  if (!value) return null;
  const key = /^bearer\s+/i.test(value) ? value.replace(/^bearer\s+/i, '').trim() : value;
  return key === '' ? null : key;
}

/** Compares digests, so that every comparison takes the same time whatever the lengths. */
function firstMatch(key: Buffer, byProvider: ReadonlyArray<readonly [IdentityProviderName, string[]]>): IdentityProviderName | null {
  let found: IdentityProviderName | null = null;
  for (const [provider, keys] of byProvider) for (const candidate of keys) if (timingSafeEqual(key, digest(candidate)) && found === null) found = provider;
  return found;
}

/** The provider whose key the request carries, with a short digest of the key (its rate counter); 401 otherwise. */
export async function authenticate(authorization: string | undefined, providers: readonly IdentityProviderName[], keysFor: ScimKeys): Promise<{ provider: IdentityProviderName; keyId: string }> {
  const key = bearerKey(authorization);
  if (key === null) throw new ScimError(401, null, 'missing Authorization: Bearer <SCIM API key>');
  const hashed = digest(key);
  // One provider's keys failing to load (a secret not set yet) must not lock the others out; it fails only a key none matched.
  const failures: unknown[] = [];
  const read = (refresh: boolean) =>
    Promise.all(providers.map(async (provider) => [provider, await keysFor(provider, { refresh }).catch((error: unknown) => (failures.push(error), [] as string[]))] as const));
  // A key that matches none may be new: read the keys once more, past the cache, as webhook secrets are (lib/runtime/secrets.ts).
  const provider = firstMatch(hashed, await read(false)) ?? firstMatch(hashed, await read(true));
  if (provider === null && failures.length > 0) throw failures[0];
  if (provider === null) throw new ScimError(401, null, 'the SCIM API key is not one of this deployment\'s keys');
  return { provider, keyId: hashed.subarray(0, 8).toString('hex') };
}

/** Each key's own counter in the shared budget; over it, a 429 says when to come back (Retry-After). */
export async function spendRequest(budget: RateBudget, pace: Pace, keyId: string, now: number): Promise<void> {
  const counter: CallKey = { counter: `scim ${keyId}`, pace, shared: true };
  const reservation = await budget.reserve(counter, 'urgent', 0, now);
  if (!reservation.granted) {
    const seconds = Math.max(1, Math.ceil(reservation.waitMs / 1000));
    throw new ScimError(429, null, `this key's request budget is spent; retry in ${seconds} s`, seconds);
  }
}

/** A key's pace: `perMinute` requests a minute, in bursts of a tenth of that. */
export const scimPace = (perMinute: number): Pace => ({ intervalMs: 60_000 / perMinute, burst: Math.max(1, Math.floor(perMinute / 10)) });
