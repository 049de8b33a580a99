import { HttpError } from './http-error.js';

interface Rule {
  limit: number;
  periodMs: number;
  /** How the period reads in the 429 message: `1s`, `1m`. */
  period: string;
}

/**
 * Bitwarden cloud's IP rate limits (docs/reference/bitwarden-public-api.md §10, AspNetCoreRateLimit with endpoint
 * limiting): one fixed-window counter per verb + lower-cased path and rule. Reads 200/min;
 * writes 60/min and 5/s; token requests 10/min.
 */
const rules: Record<'read' | 'write' | 'token', Rule[]> = {
  read: [{ limit: 200, periodMs: 60_000, period: '1m' }],
  write: [
    { limit: 5, periodMs: 1_000, period: '1s' },
    { limit: 60, periodMs: 60_000, period: '1m' },
  ],
  token: [{ limit: 10, periodMs: 60_000, period: '1m' }],
};

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly clock: () => number = Date.now) {}

  /**
   * Counts the request and returns the headers the cloud adds to an answer it lets through, or
   * throws the 429 it would answer instead.
   */
  check(method: string, path: string): Record<string, string> {
    const kind = path === '/connect/token' ? 'token' : method === 'GET' ? 'read' : 'write';
    const now = this.clock();
    const key = `${method.toLowerCase()}:${path.toLowerCase()}`;
    const counters = rules[kind].map((rule) => {
      const id = `${key}#${rule.period}`;
      let window = this.windows.get(id);
      if (!window || now - window.start >= rule.periodMs) {
        window = { start: now, count: 0 };
        this.windows.set(id, window);
      }
      return { rule, window };
    });
    const exceeded = counters.find(({ rule, window }) => window.count >= rule.limit);
    if (exceeded) {
      const retryAfter = Math.max(1, Math.ceil((exceeded.window.start + exceeded.rule.periodMs - now) / 1000));
      throw rateLimited(retryAfter, exceeded.rule.period);
    }
    for (const { window } of counters) window.count++;
    // AspNetCoreRateLimit reports the matching rule with the longest period (docs/reference/bitwarden-public-api.md §10).
    const { rule, window } = counters.reduce((longest, counter) => (counter.rule.periodMs > longest.rule.periodMs ? counter : longest));
    return {
      'x-rate-limit-limit': rule.period,
      'x-rate-limit-remaining': String(rule.limit - window.count),
      'x-rate-limit-reset': roundTripUtc(window.start + rule.periodMs),
    };
  }
}

/** .NET's round-trip ("o") format of a UTC time, with seven fractional digits: `2026-08-20T10:00:00.1230000Z`. */
const roundTripUtc = (epochMs: number) => new Date(epochMs).toISOString().replace('Z', '0000Z');

/** The 429 uses Bitwarden's internal error model (`validationErrors`, not `errors`); `null` leaves out Retry-After. */
export function rateLimited(retryAfterSeconds: number | null, period = '1s'): HttpError {
  return new HttpError(
    429,
    { object: 'error', message: `Slow down! Too many requests. Try again in ${period}.`, validationErrors: null, exceptionMessage: null, exceptionStackTrace: null, innerExceptionMessage: null },
    retryAfterSeconds === null ? {} : { 'retry-after': String(retryAfterSeconds) },
  );
}
