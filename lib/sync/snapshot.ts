import type { BitwardenClient } from '../bitwarden/client.js';
import type { Group, Member } from '../bitwarden/types.js';
import type { Policy, Rule } from '../config/schema.js';
import type { WorkerState } from '../store/worker-state.js';
import type { EvaluateDependencies } from './evaluate.js';
import { snapshotMemberLookup } from './find-member.js';
import { groupDirectory } from './group-directory.js';
import type { GroupDirectory } from './plan.js';

/** The organization read once: every member, every group, and who is in the managed groups. */
export interface OrganizationSnapshot {
  members: Member[];
  groups: Group[];
  directory: GroupDirectory;
  /** Managed group ids per member id. */
  memberships: Map<string, string[]>;
  groupName(id: string): string;
}

/** One listing of members and groups, and of each managed group's members: the cost of a whole-organization pass. */
export async function readOrganization(bitwarden: Pick<BitwardenClient, 'listMembers' | 'listGroups' | 'getGroupMemberIds'>, rules: readonly Rule[], progress: (message: string) => void = () => undefined): Promise<OrganizationSnapshot> {
  progress('reading Bitwarden members and groups');
  const [members, groups] = await Promise.all([bitwarden.listMembers(), bitwarden.listGroups()]);
  const directory = groupDirectory(groups, rules);
  const managedGroups = groups.filter((group) => directory.managedIds.has(group.id));
  const memberships = new Map<string, string[]>();
  for (const [index, group] of managedGroups.entries()) {
    progress(`reading memberships of managed groups (${index + 1}/${managedGroups.length})`);
    for (const memberId of await bitwarden.getGroupMemberIds(group.id)) memberships.set(memberId, [...(memberships.get(memberId) ?? []), group.id]);
  }
  return { members, groups, directory, memberships, groupName: (id) => groups.find((group) => group.id === id)?.name ?? id };
}

/**
 * Evaluation answered from a snapshot: the same `evaluate` as the worker's, for every worker of
 * the organization at the cost of one listing. Records are carried by the messages evaluated
 * (re-evaluations and roster records), so nothing is fetched.
 */
export function snapshotEvaluation(
  snapshot: OrganizationSnapshot,
  deps: { workers: EvaluateDependencies['workers']; rules: readonly Rule[]; policy: Policy; now: Date },
): EvaluateDependencies {
  return {
    workers: deps.workers,
    rules: async () => [...deps.rules],
    groups: { resolve: async () => snapshot.directory },
    members: snapshotMemberLookup(snapshot.members, (memberId) => snapshot.memberships.get(memberId) ?? []),
    policy: deps.policy,
    fetchWorker: async () => {
      throw new Error('a whole-organization pass evaluates records it carries; it never fetches');
    },
    now: () => deps.now,
  };
}

/** Workers known by key, so that a pass over thousands reads the table once. */
export function statesByKey(states: readonly WorkerState[], fallback: EvaluateDependencies['workers']): EvaluateDependencies['workers'] {
  const byKey = new Map(states.map((state) => [state.workerKey, state]));
  return { get: async (workerKey) => byKey.get(workerKey) ?? null, linkedTo: (memberId) => fallback.linkedTo(memberId) };
}
