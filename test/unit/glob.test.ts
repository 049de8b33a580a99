import { describe, expect, it } from 'vitest';
import type { Rule } from '../../lib/config/schema.js';
import { ruleMatches } from '../../lib/policy/rules.js';
import { WorkerRecordSchema } from '../../lib/vocabulary/worker-record.js';
import { worker } from '../support/generic-events.js';

/** Whether a rule `jobTitle: pattern` matches a worker with this title (set past the record's cap on purpose: matching must not rely on it). */
function matches(pattern: string, jobTitle: string): boolean {
  const rule: Rule = { id: 'glob', match: { jobTitle: pattern }, groups: ['G'] };
  return ruleMatches(rule, { ...WorkerRecordSchema.parse(worker()), jobTitle });
}

describe('rule globs', () => {
  it('match the whole value, ignoring case, with * for any run of characters (none included)', () => {
    expect(matches('*engineer*', 'Senior Software Engineer II')).toBe(true);
    expect(matches('Eng*', 'eng')).toBe(true);
    expect(matches('Eng*', 'Senior Eng')).toBe(false);
    expect(matches('*eer', 'Engineers')).toBe(false);
    expect(matches('*aba*', 'xxABABAxx')).toBe(true);
  });

  it('let * cross line breaks', () => {
    expect(matches('*Engineer*', 'Staff\nEngineer')).toBe(true);
    expect(matches('Staff*Lead', 'Staff\r\nTeam\nLead')).toBe(true);
  });

  it('never let the text before and after a * overlap', () => {
    expect(matches('ab*ba', 'aba')).toBe(false);
    expect(matches('ab*ba', 'abba')).toBe(true);
  });

  it('take time in proportion to the value: patterns that make a backtracking matcher explode finish', () => {
    const title = 'a'.repeat(8192);
    expect(matches('*a*a*a*a*a*a*a*a*a*a*b', title)).toBe(false);
    expect(matches('*a*a*', 'x'.repeat(8192))).toBe(false);
    expect(matches('*a*a*a*a*a*a*a*a*a*a*b', `${title}b`)).toBe(true);
  });
});
