import { ERROR_SCHEMA } from './schemas.js';

/** RFC 7644 §3.12's `scimType` values this endpoint answers with. */
export type ScimType = 'invalidFilter' | 'invalidSyntax' | 'invalidPath' | 'invalidValue' | 'noTarget' | 'uniqueness';

/** A request refused with a SCIM error: its status, its `scimType` where RFC 7644 defines one, and a detail that names the attribute. */
export class ScimError extends Error {
  override readonly name = 'ScimError';
  constructor(
    readonly status: 400 | 401 | 404 | 405 | 409 | 413 | 429 | 503,
    readonly scimType: ScimType | null,
    readonly detail: string,
    /** For 429 and 503: when to try again (the Retry-After header). */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
  }

  /** The Error resource (RFC 7644 §3.12): `status` is a string there. */
  body(): Record<string, unknown> {
    return { schemas: [ERROR_SCHEMA], status: String(this.status), ...(this.scimType ? { scimType: this.scimType } : {}), detail: this.detail };
  }
}

export const badRequest = (scimType: ScimType, detail: string) => new ScimError(400, scimType, detail);
