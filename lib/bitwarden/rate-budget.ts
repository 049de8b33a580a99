/**
 * Bitwarden cloud's rate limits as a budget the client draws from before it sends a call
 * (docs/reference/bitwarden-public-api.md §10): one counter per client IP, verb and lower-cased
 * path; reads 200 a minute, writes 60 a minute and 5 a second, token requests 10 a minute.
 *
 * Each counter is kept as a GCRA ("generic cell rate algorithm") schedule: one number, the
 * theoretical arrival time `tat` of the next call. A call may start at `tat - tolerance`, and
 * moves `tat` on by one emission interval. Waiting callers reserve their slot, so they start in
 * order and never all at once.
 */

/** A counter's pace: one call every `intervalMs`, and up to `burst` at once. */
export interface Pace {
  intervalMs: number;
  burst: number;
}

/**
 * Slightly under the server's limits, so that clock skew between callers and the server's fixed
 * windows never turn a budgeted call into a 429: writes 55 a minute in bursts of 4 (at most 4 in
 * any second, 59 in any minute), reads 190 a minute in bursts of 10 (at most 199 a minute),
 * tokens 8 a minute in bursts of 2 (at most 10 a minute).
 */
export const BitwardenPaces = {
  read: { intervalMs: 60_000 / 190, burst: 10 },
  write: { intervalMs: 60_000 / 55, burst: 4 },
  token: { intervalMs: 60_000 / 8, burst: 2 },
} as const satisfies Record<string, Pace>;

/**
 * Revocations come first: a call of the normal lane leaves the last slot of a burst to urgent ones
 * and never reserves further ahead than this, so urgent calls queue behind at most this much.
 */
export const NORMAL_HORIZON_MS = 2_000;

export type CallPriority = 'urgent' | 'normal';

/** One counter: `GET /public/members`, `post /connect/token`, … as the server keys it. */
export interface CallKey {
  /** `{verb} {lower-cased path}`, the server's counter key. */
  counter: string;
  pace: Pace;
  /** A per-member path is written only under the worker's lease, and read by at most one invocation per lane: its counter can live in memory (docs/design.md, decision 14). */
  shared: boolean;
}

/** The answer to "may I send now?": start after `waitMs`, or (when `granted` is false) try again after it. */
export interface Reservation {
  granted: boolean;
  waitMs: number;
}

/** A budget shared by every invocation (DynamoDB in AWS; lib/store/rate-budget-store.ts). */
export interface RateBudget {
  /** Reserves the next slot of `key` if it starts within `maxWaitMs`; else says how long until one would. */
  reserve(key: CallKey, priority: CallPriority, maxWaitMs: number, now: number): Promise<Reservation>;
  /** The server said the counter is spent until `until` (X-Rate-Limit-Remaining 0, or a 429's Retry-After). */
  exhaustedUntil(key: CallKey, until: number, now: number): Promise<void>;
}

/** The counter a call draws from: its verb and lower-cased path, and whether another invocation may share it. */
export function callKey(method: string, path: string): CallKey {
  const counter = `${method.toLowerCase()} ${path.toLowerCase()}`;
  const pace = path === '/connect/token' ? BitwardenPaces.token : method === 'GET' ? BitwardenPaces.read : BitwardenPaces.write;
  return { counter, pace, shared: !/[0-9a-f]{8}-[0-9a-f]{4}-/i.test(path) };
}

/**
 * One GCRA step: where the schedule `tat` lets a call of `priority` start, and the schedule after it;
 * or, when that start is more than `maxWaitMs` away, when to try again (the schedule is left as it is).
 */
export function schedule(tat: number, pace: Pace, priority: CallPriority, maxWaitMs: number, now: number): { startAt: number; tat: number } | { retryAt: number } {
  // Normal calls leave one slot of every burst to urgent ones; of the token counter's two too, so that a
  // revocation's container can still sign in while a wave of hires' containers take their tokens.
  const kept = priority === 'normal' && pace.burst >= 2 ? 1 : 0;
  const tolerance = (pace.burst - 1 - kept) * pace.intervalMs;
  const startAt = Math.max(now, tat - tolerance);
  if (startAt - now > maxWaitMs) return { retryAt: startAt };
  return { startAt, tat: Math.max(tat, startAt) + pace.intervalMs };
}

/** The schedule that lets the next call start no earlier than `until`. */
export function scheduleAfter(until: number, pace: Pace): number {
  return until + (pace.burst - 1) * pace.intervalMs;
}

/** A budget kept in this process: exact for per-member counters, and for a process that is the only caller (the CLI, tests). */
export class LocalRateBudget implements RateBudget {
  private readonly schedules = new Map<string, number>();

  async reserve(key: CallKey, priority: CallPriority, maxWaitMs: number, now: number): Promise<Reservation> {
    const next = schedule(this.schedules.get(key.counter) ?? now, key.pace, priority, maxWaitMs, now);
    if ('retryAt' in next) return { granted: false, waitMs: next.retryAt - now };
    this.schedules.set(key.counter, next.tat);
    this.forgetIdle(now);
    return { granted: true, waitMs: next.startAt - now };
  }

  async exhaustedUntil(key: CallKey, until: number): Promise<void> {
    this.schedules.set(key.counter, Math.max(this.schedules.get(key.counter) ?? 0, scheduleAfter(until, key.pace)));
  }

  /** Per-member counters come and go with members; a schedule in the past holds nothing. */
  private forgetIdle(now: number): void {
    if (this.schedules.size < 10_000) return;
    for (const [counter, tat] of this.schedules) if (tat < now) this.schedules.delete(counter);
  }
}
