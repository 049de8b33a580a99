/** An answer other than 200, with Bitwarden's body (or none: controller 404s, 401s and 403s are empty). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

/** `{object:"error", message, errors}` (docs/reference/bitwarden-public-api.md §4). */
export const errorBody = (message: string, errors: Record<string, string[]> | null = null) => ({ object: 'error', message, errors });

export const badRequest = (message: string) => new HttpError(400, errorBody(message));
export const modelStateError = (errors: Record<string, string[]>) => new HttpError(400, errorBody("The request's model state is invalid.", errors));
/** A 404 from deeper validation carries a body, unlike the controllers' empty 404. */
export const resourceNotFound = () => new HttpError(404, errorBody('Resource not found.'));
export const notFound = () => new HttpError(404);
/** What the server answers to any exception it does not map (docs/reference/bitwarden-public-api.md §4). */
export const serverError = (status = 500) => new HttpError(status, errorBody('An unhandled server error has occurred.'));

/** ASP.NET binds JSON property names case-insensitively; read them camelCased. */
export function camelKeys(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([key, value]) => [key.charAt(0).toLowerCase() + key.slice(1), value]));
}
