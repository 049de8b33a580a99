/** A provider API call that failed; the worker's message is retried through SQS. Carries no credentials. */
export class ProviderApiError extends Error {
  override readonly name = 'ProviderApiError';
  constructor(
    readonly operation: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${operation} failed: ${status === 0 ? 'no response' : `HTTP ${status}`}${detail ? ` (${detail})` : ''}`);
  }
}

/** One JSON call to a provider's API: 404 is returned (the worker is gone), anything else not 2xx throws. */
export async function providerRequest(operation: string, url: string, init: RequestInit, timeoutMs = 10_000): Promise<{ status: number; body: unknown; headers: Headers }> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, headers: { accept: 'application/json', ...init.headers }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new ProviderApiError(operation, 0, (error as Error).name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (error as Error).message);
  }
  const text = await response.text();
  if (response.status === 404) return { status: 404, body: undefined, headers: response.headers };
  if (!response.ok) throw new ProviderApiError(operation, response.status, text.slice(0, 200));
  try {
    return { status: response.status, body: JSON.parse(text), headers: response.headers };
  } catch {
    throw new ProviderApiError(operation, response.status, 'the answer was not JSON');
  }
}

export const basicAuth = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** `a:b` credentials split at the first colon. */
export function credentialPair(credentials: string, what: string): [string, string] {
  const colon = credentials.indexOf(':');
  if (colon <= 0) throw new Error(`the ${what} credentials must be "<first>:<second>"`);
  return [credentials.slice(0, colon), credentials.slice(colon + 1)];
}

/**
 * A worker key as one segment of an API path. encodeURIComponent encodes `/`, `?`, `#` and `%`, but
 * a key that is all dots stays a dot segment even percent-encoded (URL parsing resolves `%2E%2E` as
 * `..`), so `.` and `..` are refused: no key can point a request at another resource.
 */
export function apiPathSegment(workerKey: string): string {
  if (workerKey === '.' || workerKey === '..') throw new Error(`worker key "${workerKey}" cannot be an API path segment`);
  return encodeURIComponent(workerKey);
}
