/** Bitwarden's own texts for outcomes that mean "already so" (docs/reference/bitwarden-public-api.md §9). */
export const BitwardenMessages = {
  alreadyInvited: 'This user has already been invited.',
  alreadyRevoked: 'Already revoked.',
  alreadyActive: 'Already active.',
  /** The import's answer for an organization whose plan lacks directory sync (docs/reference/bitwarden-public-api.md §8). */
  cannotUseDirectorySync: 'Organization cannot use directory syncing.',
} as const;

/** A Bitwarden call that failed. Carries what an operator needs, never a credential or token. */
export class BitwardenError extends Error {
  override readonly name = 'BitwardenError';
  constructor(
    /** The call, e.g. `POST /public/members/{id}/revoke`. */
    readonly operation: string,
    /** HTTP status, or 0 when no response came (timeout, connection reset). */
    readonly status: number,
    /** Bitwarden's `message`, when the body had one. */
    readonly bitwardenMessage: string | null,
    /** Retrying later may succeed (5xx, 429, network). */
    readonly retryable: boolean,
    /** For 429: the server's Retry-After, in seconds. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(`${operation} failed: ${status === 0 ? 'no response' : `HTTP ${status}`}${bitwardenMessage ? ` (${bitwardenMessage})` : ''}`);
  }

  is(message: string): boolean {
    return this.status === 400 && this.bitwardenMessage === message;
  }
}

/**
 * The server has no revoke/restore endpoint (self-hosted servers before v2026.2.0 answer 404 for a
 * member that exists). What to do instead is the config's `bitwarden.onRevokeUnsupported`.
 */
export class RevokeUnsupportedError extends BitwardenError {
  constructor(operation: string) {
    super(operation, 404, null, false);
    this.message = `${operation}: this Bitwarden server has no ${operation.endsWith('restore') ? 'restore' : 'revoke'} endpoint (added in server v2026.2.0). Upgrade the server, or set bitwarden.onRevokeUnsupported: remove in the config to remove leavers instead.`;
  }
}

/**
 * The rate budget has no slot for this call within the time it may wait: nothing was sent. The
 * caller comes back after `retryAfterMs` (the worker returns its message to the queue for exactly that long).
 */
export class RateBudgetExhaustedError extends Error {
  override readonly name = 'RateBudgetExhaustedError';
  constructor(
    readonly operation: string,
    readonly retryAfterMs: number,
  ) {
    super(`${operation} not sent: Bitwarden's rate limit for it has no slot for ${Math.ceil(retryAfterMs / 1000)} s; retried then`);
  }
}
