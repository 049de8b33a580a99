import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { WorkerRecordSchema } from '../../lib/vocabulary/worker-record.js';
import { decide } from '../../lib/policy/decide.js';
import { groupsFor } from '../../lib/policy/rules.js';
import { worker } from '../support/generic-events.js';

const config = parseConfig(`
rules:
  - id: everyone
    groups: [All Staff]
  - id: eng
    match: { department: Engineering }
    groups: [Engineering]
  - id: sre
    match: { department: Engineering, jobTitle: ["*SRE*", "*Reliability*"] }
    groups: [Production Access, engineering]
  - id: contractors-in-emea
    match: { employmentType: contractor, location: "EMEA-*" }
    groups: [Contractors]
`);
const record = (overrides: Parameters<typeof worker>[0] = {}) => WorkerRecordSchema.parse(worker(overrides));
const now = new Date('2026-06-15T12:00:00Z');

describe('rules', () => {
  it('grant the union of every matching rule, de-duplicated ignoring case', () => {
    expect(groupsFor(record({ department: 'engineering', jobTitle: 'Senior Site Reliability Engineer' }), config.rules)).toEqual({
      groups: ['All Staff', 'Engineering', 'Production Access'],
      matchedRules: ['everyone', 'eng', 'sre'],
      memberType: null,
    });
  });

  it('need every listed attribute to match, and a missing attribute matches nothing', () => {
    expect(groupsFor(record({ employmentType: 'contractor', location: 'EMEA-Berlin' }), config.rules).groups).toContain('Contractors');
    expect(groupsFor(record({ employmentType: 'contractor', location: 'US-Austin' }), config.rules).groups).not.toContain('Contractors');
    expect(groupsFor(record({ employmentType: 'contractor', location: null }), config.rules).groups).not.toContain('Contractors');
  });

  it('treat glob characters other than * literally', () => {
    const rules = parseConfig(`rules:\n  - id: a\n    match: { jobTitle: "C++ (Dev)*" }\n    groups: [X]\n`).rules;
    expect(groupsFor(record({ jobTitle: 'C++ (Dev) Lead' }), rules).groups).toEqual(['X']);
    expect(groupsFor(record({ jobTitle: 'CC (Dev) Lead' }), rules).groups).toEqual([]);
  });
});

describe('decide', () => {
  it('gives an active worker membership with the rules’ groups', () => {
    expect(decide(record({ department: 'Engineering' }), config.rules, config.policy, now)).toMatchObject({
      access: 'member',
      memberType: 'user',
      groups: ['All Staff', 'Engineering'],
      reevaluateAt: null,
    });
  });

  it('revokes a termination dated today or earlier at once', () => {
    expect(decide(record({ status: 'terminated', terminationDate: '2026-06-15' }), config.rules, config.policy, now)).toMatchObject({ access: 'revoked', groups: [] });
    expect(decide(record({ status: 'terminated', terminationDate: '2026-01-01' }), config.rules, config.policy, now).access).toBe('revoked');
    expect(decide(record({ status: 'terminated', terminationDate: null }), config.rules, config.policy, now).access).toBe('revoked');
  });

  it('keeps access until a termination recorded ahead of time takes effect, at the end of its day, and says when to look again', () => {
    const desired = decide(record({ status: 'active', terminationDate: '2026-06-20' }), config.rules, config.policy, now);
    expect(desired).toMatchObject({ access: 'member', reevaluateAt: '2026-06-21T00:00:00.000Z' });
    expect(decide(record({ status: 'active', terminationDate: '2026-06-15' }), config.rules, config.policy, now)).toMatchObject({ access: 'member', reevaluateAt: '2026-06-16T00:00:00.000Z' });
  });

  it('ends access at the end of an end date, or exactly at an end instant', () => {
    expect(decide(record({ endDate: '2026-06-15' }), config.rules, config.policy, now)).toMatchObject({ access: 'member', reevaluateAt: '2026-06-16T00:00:00.000Z' });
    expect(decide(record({ endDate: '2026-06-14' }), config.rules, config.policy, now).access).toBe('revoked');
    expect(decide(record({ endDate: '2026-06-15T11:59:00Z' }), config.rules, config.policy, now).access).toBe('revoked');
    expect(decide(record({ endDate: '2026-06-15T17:30:00+02:00' }), config.rules, config.policy, now).reevaluateAt).toBe('2026-06-15T15:30:00.000Z');
  });

  it('invites a future hire at once (pending workers get access)', () => {
    expect(decide(record({ status: 'pending', startDate: '2026-07-01' }), config.rules, config.policy, now).access).toBe('member');
  });
});

describe('rules: custom attributes and member types', () => {
  const typed = parseConfig(`
policy:
  allowedElevatedMemberTypes: [admin]
rules:
  - id: everyone
    groups: [All Staff]
  - id: it-admins
    match: { department: IT, attributes: { costCenter: "CC-9*" } }
    groups: [IT]
    memberType: admin
`);

  it('match custom attributes a provider maps, and grant the most privileged member type of the matching rules', () => {
    const admin = record({ department: 'IT', attributes: { costCenter: 'CC-901' } });
    expect(groupsFor(admin, typed.rules)).toEqual({ groups: ['All Staff', 'IT'], matchedRules: ['everyone', 'it-admins'], memberType: 'admin' });
    expect(decide(admin, typed.rules, typed.policy, now)).toMatchObject({ memberType: 'admin', enforceMemberType: true });
    const other = record({ department: 'IT', attributes: { costCenter: 'CC-100' } });
    expect(decide(other, typed.rules, typed.policy, now)).toMatchObject({ memberType: 'user', enforceMemberType: false, groups: ['All Staff'] });
  });

  it('refuse a type above user that the policy does not allow', () => {
    expect(() => parseConfig('rules:\n  - id: x\n    groups: [A]\n    memberType: owner\n')).toThrow(/line 4, rules\[0\]\.memberType: "owner" is above user: list it in policy\.allowedElevatedMemberTypes/);
  });
});

describe('decide over time', () => {
  const policy = (overrides: Partial<typeof config.policy>) => ({ ...config.policy, ...overrides });

  it('computes a date’s end in the configured IANA zone, across a DST change', () => {
    const newYork = policy({ timeZone: 'America/New_York' });
    // 2026-03-08 is the US spring-forward day: it ends at 04:00Z (EDT), while the day before ended at 05:00Z (EST).
    expect(decide(record({ endDate: '2026-03-08' }), config.rules, newYork, new Date('2026-03-08T12:00:00Z')).reevaluateAt).toBe('2026-03-09T04:00:00.000Z');
    expect(decide(record({ endDate: '2026-03-07' }), config.rules, newYork, new Date('2026-03-07T12:00:00Z')).reevaluateAt).toBe('2026-03-08T05:00:00.000Z');
    expect(decide(record({ endDate: '2026-03-08' }), config.rules, newYork, new Date('2026-03-09T03:59:59Z')).access).toBe('member');
    expect(decide(record({ endDate: '2026-03-08' }), config.rules, newYork, new Date('2026-03-09T04:00:00Z')).access).toBe('revoked');
  });

  it('revokes a worker HR marks terminated today at once, in the zone’s today', () => {
    const tokyo = policy({ timeZone: 'Asia/Tokyo' });
    // 20:00Z on the 14th is already the 15th in Tokyo.
    expect(decide(record({ status: 'terminated', terminationDate: '2026-06-15' }), config.rules, tokyo, new Date('2026-06-14T20:00:00Z')).access).toBe('revoked');
    expect(decide(record({ status: 'terminated', terminationDate: '2026-06-15' }), config.rules, config.policy, new Date('2026-06-14T20:00:00Z')).access).toBe('member');
  });

  it('re-evaluates a worker HR already marks terminated, with a future date, as that date begins', () => {
    // Found by the convergence property: a sweep at 00:00 of the date must find it due.
    const desired = decide(record({ status: 'terminated', terminationDate: '2026-06-20' }), config.rules, config.policy, now);
    expect(desired).toMatchObject({ access: 'member', reevaluateAt: '2026-06-20T00:00:00.000Z' });
    expect(decide(record({ status: 'terminated', terminationDate: '2026-06-20' }), config.rules, config.policy, new Date('2026-06-20T00:00:00.001Z')).access).toBe('revoked');
  });

  it('can make a termination recorded ahead of time take effect at the start of its day', () => {
    const early = policy({ terminationTakesEffect: 'start-of-day' });
    expect(decide(record({ terminationDate: '2026-06-20' }), config.rules, early, now).reevaluateAt).toBe('2026-06-20T00:00:00.000Z');
  });

  it('invites a future hire N days before the start date, and not before', () => {
    const ahead = policy({ inviteDaysBeforeStart: 3 });
    const hire = record({ status: 'pending', startDate: '2026-06-25' });
    expect(decide(hire, config.rules, ahead, now)).toMatchObject({ access: 'not-yet', reevaluateAt: '2026-06-22T00:00:00.000Z' });
    expect(decide(hire, config.rules, ahead, new Date('2026-06-22T00:00:00Z')).access).toBe('member');
  });

  it('follows the leave policy', () => {
    const onLeave = record({ status: 'on_leave' });
    expect(decide(onLeave, config.rules, config.policy, now).access).toBe('member');
    expect(decide(onLeave, config.rules, policy({ onLeave: 'revoke' }), now)).toMatchObject({ access: 'revoked', reason: 'on leave (policy.onLeave: revoke)' });
  });

  it('removes a revoked member after the configured days, and never by default', () => {
    const gone = record({ status: 'terminated', terminationDate: '2026-01-01' });
    const history = { revokedAt: '2026-06-01T00:00:00.000Z' };
    expect(decide(gone, config.rules, config.policy, now, history)).toMatchObject({ access: 'revoked', reevaluateAt: null });
    const removing = policy({ removeRevokedAfterDays: 30 });
    expect(decide(gone, config.rules, removing, now, history)).toMatchObject({ access: 'revoked', reevaluateAt: '2026-07-01T00:00:00.000Z' });
    expect(decide(gone, config.rules, removing, new Date('2026-07-01T00:00:00Z'), history).access).toBe('removed');
  });

  it('cancels a revocation when the end date is extended or removed', () => {
    const at = new Date('2026-06-16T00:00:01Z');
    expect(decide(record({ endDate: '2026-06-15' }), config.rules, config.policy, at).access).toBe('revoked');
    expect(decide(record({ endDate: '2026-07-15' }), config.rules, config.policy, at)).toMatchObject({ access: 'member', reevaluateAt: '2026-07-16T00:00:00.000Z' });
    expect(decide(record({ endDate: null }), config.rules, config.policy, at)).toMatchObject({ access: 'member', reevaluateAt: null });
  });
});
