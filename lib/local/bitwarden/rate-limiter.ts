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

  /** Counts the request, or throws the 429 the cloud would answer. */
  check(method: string, path: string): void {
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
  }
}

/** The 429 uses Bitwarden's internal error model (`validationErrors`, not `errors`). */
export function rateLimited(retryAfterSeconds: number, period = '1s'): HttpError {
  return new HttpError(
    429,
    { object: 'error', message: `Slow down! Too many requests. Try again in ${period}.`, validationErrors: null, exceptionMessage: null, exceptionStackTrace: null, innerExceptionMessage: null },
    { 'retry-after': String(retryAfterSeconds) },
  );
}
