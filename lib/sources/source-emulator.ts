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
  body: Record<string, unknown>;
}

export interface SourceApiEmulator {
  /** Records by worker id, in the source's own shape (what its API answers). */
  readonly records: Map<string, Record<string, unknown>>;
  /** The credentials it accepts, in the form `<NAME>_API_CREDENTIALS` takes. */
  readonly credentials: string;
  authorized(headers: IncomingHttpHeaders): boolean;
  /** The answer to one authorized request; `body` undefined answers with no body. */
  handle(request: SourceApiRequest): { status: number; body?: unknown };
}

export const basicHeader = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
