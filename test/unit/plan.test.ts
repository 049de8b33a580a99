import { describe, expect, it } from 'vitest';
import { type Member } from '../../lib/bitwarden/types.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import type { DesiredState } from '../../lib/policy/decide.js';
import { plan, type GroupDirectory } from '../../lib/sync/plan.js';

const ids: Record<string, string> = { 'all staff': 'g-all', engineering: 'g-eng', finance: 'g-fin' };
const directory: GroupDirectory = { idOf: (name) => ids[name.toLowerCase()]!, managedIds: new Set(Object.values(ids)) };
const member = (status: Member['status']): Member => ({
  object: 'member', id: 'm-1', userId: null, name: null, email: 'a@example.com', twoFactorEnabled: false, status,
  collections: [], resetPasswordEnrolled: false, ssoExternalId: null, type: 2, externalId: 'E-1', permissions: null,
});
const desired = (overrides: Partial<DesiredState> = {}): DesiredState => ({
  access: 'member', email: 'a@example.com', memberType: 'user', enforceMemberType: false, groups: ['All Staff', 'Engineering'], matchedRules: [], reason: 'active', reevaluateAt: null, ...overrides,
});

describe('plan', () => {
  it('invites a missing member with its groups in the same call', () => {
    expect(plan('E-1', desired(), { member: null, groupIds: [] }, directory)).toEqual({
      actions: [{ kind: 'invite', email: 'a@example.com', externalId: 'E-1', type: 'user', groupIds: ['g-all', 'g-eng'] }],
      blocked: null,
    });
  });

  it('does nothing when the member already holds the desired state', () => {
    expect(plan('E-1', desired(), { member: member(MemberStatus.Confirmed), groupIds: ['g-eng', 'g-all'] }, directory).actions).toEqual([]);
  });

  it('replaces only managed groups, keeping the ones no rule names', () => {
    const result = plan('E-1', desired({ groups: ['All Staff', 'Finance'] }), { member: member(MemberStatus.Confirmed), groupIds: ['g-all', 'g-eng', 'g-admin-made'] }, directory);
    expect(result.actions).toEqual([{ kind: 'set-groups', memberId: 'm-1', groupIds: ['g-admin-made', 'g-all', 'g-fin'], added: ['g-fin'], removed: ['g-eng'] }]);
  });

  it('revokes an active or invited member once, and leaves a revoked or absent one alone', () => {
    const revoked = desired({ access: 'revoked', groups: [] });
    expect(plan('E-1', revoked, { member: member(MemberStatus.Invited), groupIds: ['g-all'] }, directory).actions).toEqual([{ kind: 'revoke', memberId: 'm-1' }]);
    expect(plan('E-1', revoked, { member: member(MemberStatus.Revoked), groupIds: ['g-all'] }, directory).actions).toEqual([]);
    expect(plan('E-1', revoked, { member: null, groupIds: [] }, directory).actions).toEqual([]);
  });

  it('restores a revoked member that should have access, then regroups it', () => {
    const result = plan('E-1', desired(), { member: member(MemberStatus.Revoked), groupIds: ['g-all'] }, directory);
    expect(result.actions.map((action) => action.kind)).toEqual(['restore', 'set-groups']);
  });

  it('treats a Staged member (status 3) as present: regrouped, never invited again', () => {
    expect(plan('E-1', desired(), { member: member(MemberStatus.Staged), groupIds: [] }, directory).actions).toEqual([
      { kind: 'set-groups', memberId: 'm-1', groupIds: ['g-all', 'g-eng'], added: ['g-all', 'g-eng'], removed: [] },
    ]);
  });

  it('links a member that has no externalId yet, but never overwrites one another tool set', () => {
    const unlinked = { ...member(MemberStatus.Confirmed), externalId: null };
    expect(plan('E-1', desired(), { member: unlinked, groupIds: ['g-all', 'g-eng'] }, directory).actions).toEqual([{ kind: 'link', memberId: 'm-1', externalId: 'E-1', takenOverFrom: null }]);
    const foreign = { ...member(MemberStatus.Confirmed), externalId: 'dc-0042' };
    expect(plan('E-1', desired(), { member: foreign, groupIds: ['g-all', 'g-eng'] }, directory).actions).toEqual([]);
  });

  it('moves a terminated worker’s member to its rehire: relinked, restored, regrouped', () => {
    const leavers = { ...member(MemberStatus.Revoked), externalId: 'E-OLD' };
    expect(plan('E-1', desired(), { member: leavers, groupIds: ['g-all'], takeoverFrom: 'E-OLD' }, directory).actions).toEqual([
      { kind: 'link', memberId: 'm-1', externalId: 'E-1', takenOverFrom: 'E-OLD' },
      { kind: 'restore', memberId: 'm-1' },
      { kind: 'set-groups', memberId: 'm-1', groupIds: ['g-all', 'g-eng'], added: ['g-eng'], removed: [] },
    ]);
  });

  it('changes an existing member’s type only when a rule grants one', () => {
    const admin = { ...member(MemberStatus.Confirmed), type: 1 };
    expect(plan('E-1', desired(), { member: admin, groupIds: ['g-all', 'g-eng'] }, directory).actions).toEqual([]);
    expect(plan('E-1', desired({ enforceMemberType: true, memberType: 'user' }), { member: admin, groupIds: ['g-all', 'g-eng'] }, directory).actions).toEqual([{ kind: 'set-type', memberId: 'm-1', type: 'user' }]);
  });

  it('reports instead of inviting a worker without a work e-mail', () => {
    expect(plan('E-1', desired({ email: null }), { member: null, groupIds: [] }, directory)).toEqual({ actions: [], blocked: 'the worker has no work e-mail to invite' });
  });
});
