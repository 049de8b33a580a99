import { describe, expect, it } from 'vitest';
import { BitwardenPaces, schedule } from '../../lib/bitwarden/rate-budget.js';

describe('a counter the normal lane has spent', () => {
  const now = 1_000_000;

  it.each(Object.entries(BitwardenPaces))('still lets an urgent call start at once: the %s counter keeps it a slot', (_name, pace) => {
    // The normal lane takes every slot it may, from an idle counter.
    let tat = now;
    for (let step = schedule(tat, pace, 'normal', 0, now); 'tat' in step; step = schedule(tat, pace, 'normal', 0, now)) tat = step.tat;
    expect(schedule(tat, pace, 'normal', 0, now)).toHaveProperty('retryAt');
    expect(schedule(tat, pace, 'urgent', 0, now)).toEqual({ startAt: now, tat: tat + pace.intervalMs });
  });
});
