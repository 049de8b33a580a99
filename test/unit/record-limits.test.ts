import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { groupsFor } from '../../lib/policy/rules.js';
import { formatPath } from '../../lib/vocabulary/field-path.js';
import { WorkerRecordSchema } from '../../lib/vocabulary/worker-record.js';
import { worker } from '../support/generic-events.js';

/** The first issue the record schema finds in `input`, as a 400 would word it. */
function refusal(input: unknown): string {
  const result = WorkerRecordSchema.safeParse(input);
  if (result.success) return 'accepted';
  const issue = result.error.issues[0]!;
  return `${formatPath(issue.path)}: ${issue.message}`;
}

describe('worker record length caps', () => {
  it.each(['firstName', 'lastName', 'displayName', 'jobTitle', 'department', 'team', 'location', 'managerWorkEmail', 'personalEmail'])('%s: at most 256 characters', (field) => {
    expect(refusal(worker({ [field]: 'x'.repeat(256) }))).toBe('accepted');
    expect(refusal(worker({ [field]: 'x'.repeat(257) }))).toBe(`${field}: must be at most 256 characters`);
  });

  it('externalId: at most 128 characters, the limit of the SQS message group it becomes', () => {
    expect(refusal(worker({ externalId: 'E'.repeat(128) }))).toBe('accepted');
    expect(refusal(worker({ externalId: 'E'.repeat(129) }))).toBe('externalId: must be at most 128 characters');
  });

  it('attributes: names of at most 64 characters, values of at most 256, at most 50 of them', () => {
    expect(refusal(worker({ attributes: { ['n'.repeat(65)]: 'x' } }))).toBe(`attributes.${'n'.repeat(65)}: must be at most 64 characters`);
    expect(refusal(worker({ attributes: { costCenter: 'x'.repeat(257) } }))).toBe('attributes.costCenter: must be at most 256 characters');
    const many = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`a${index}`, 'x']));
    expect(refusal(worker({ attributes: many(50) }))).toBe('accepted');
    expect(refusal(worker({ attributes: many(51) }))).toBe('attributes: must have at most 50 attributes');
  });
});

describe('attribute names an object inherits', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('%s is refused, naming the field', (name) => {
    // JSON.parse makes `__proto__` an own key, as a webhook body would.
    const input = { ...worker(), attributes: JSON.parse(`{"${name}": "CC-1"}`) };
    expect(refusal(input)).toBe(`attributes.${name}: is a reserved name`);
  });

  it('never match a rule: rules read only the attributes the worker has', () => {
    const { rules } = parseConfig(`
rules:
  - id: inherited
    match: { attributes: { constructor: "*", toString: "*" } }
    groups: [Inherited]
  - id: own
    match: { attributes: { toString: "yes" } }
    groups: [Own]
`);
    expect(groupsFor(WorkerRecordSchema.parse(worker()), rules).groups).toEqual([]);
    expect(groupsFor(WorkerRecordSchema.parse(worker({ attributes: { toString: 'yes' } })), rules).groups).toEqual(['Own']);
  });
});
