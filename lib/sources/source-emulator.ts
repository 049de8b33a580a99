import type { IncomingHttpHeaders } from 'node:http';

/**
 * The local stand-in for a source's API (tests and `npm start` only; never in a Lambda bundle).
 * Each source folder that has an API keeps one in `emulator.ts`, exporting `createEmulator`, which
 * the local runtime mounts under `/<source name>` and points `<NAME>_API_URL` at.
 */
export interface SourceApiRequest {
  method: string;
  /** The path below the source's prefix, e.g. `/v1/employees/42/`. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** A JSON body, or a form (`application/x-www-form-urlencoded`, as OAuth token requests are) as its fields. */
  body: Record<string, unknown>;
}

export interface SourceApiEmulator {
  /** Records by worker id, in the source's own shape (what its API answers). */
  readonly records: Map<string, Record<string, unknown>>;
  /** The credentials it accepts, in the form `<NAME>_API_CREDENTIALS` takes. */
  readonly credentials: string;
  /** `path` as in SourceApiRequest: a token endpoint is called before there is a token. */
  authorized(headers: IncomingHttpHeaders, path: string): boolean;
  /** The answer to one authorized request; `body` undefined answers with no body; `headers` are the API's own (paging links). */
  handle(request: SourceApiRequest): { status: number; body?: unknown; headers?: Record<string, string> };
}

export const basicHeader = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
