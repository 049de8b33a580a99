/** Bitwarden's own texts for outcomes that mean "already so" (public-api.md §9). */
export const BitwardenMessages = {
  alreadyInvited: 'This user has already been invited.',
  alreadyRevoked: 'Already revoked.',
  alreadyActive: 'Already active.',
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
