import type { BitwardenClient } from '../bitwarden/client.js';
import type { Rule } from '../config/schema.js';
import { managedGroupNames, ruleMatches } from '../policy/rules.js';
import type { WorkerState } from '../store/worker-state.js';
import { checksumOf } from '../vocabulary/canonical-json.js';

export interface RuleChange {
  change: 'added' | 'removed' | 'changed';
  /** The rule as it is now (as it was, for a removed one). */
  rule: Rule;
  /** The deployed form of a changed rule. */
  before: Rule | null;
}

/** Rules added, removed or changed between the deployed set and the file. */
export function ruleChanges(before: readonly Rule[], after: readonly Rule[]): RuleChange[] {
  const old = new Map(before.map((rule) => [rule.id, rule]));
  const next = new Map(after.map((rule) => [rule.id, rule]));
  return [
    ...after.filter((rule) => !old.has(rule.id)).map((rule) => ({ change: 'added' as const, rule, before: null })),
    ...before.filter((rule) => !next.has(rule.id)).map((rule) => ({ change: 'removed' as const, rule, before: null })),
    ...after.filter((rule) => old.has(rule.id) && checksumOf(old.get(rule.id)) !== checksumOf(rule)).map((rule) => ({ change: 'changed' as const, rule, before: old.get(rule.id)! })),
  ];
}

/** Groups the new rules name and the deployed ones did not (none on a first deployment, when nothing was managed yet). */
export function newlyManagedGroups(before: readonly Rule[], after: readonly Rule[]): string[] {
  if (before.length === 0) return [];
  const wasManaged = new Set(managedGroupNames(before).map((name) => name.toLowerCase()));
  return managedGroupNames(after).filter((name) => !wasManaged.has(name.toLowerCase()));
}

/**
 * The workers whose groups a deployment may change: those matched by the old or the new form of a
 * changed rule, and the members of groups that become managed (they leave those groups unless a
 * rule gives them). The deployer re-evaluates exactly these; `rules diff` counts them.
 */
export async function affectedWorkers(before: readonly Rule[], after: readonly Rule[], states: readonly WorkerState[], bitwarden: Pick<BitwardenClient, 'listGroups' | 'getGroupMemberIds'>): Promise<string[]> {
  const changes = ruleChanges(before, after);
  if (changes.length === 0) return [];
  const touched = changes.flatMap(({ rule, before: old }) => (old ? [rule, old] : [rule]));
  const affected = new Set(states.filter((state) => touched.some((rule) => ruleMatches(rule, state.record))).map((state) => state.workerKey));

  const newlyManaged = new Set(newlyManagedGroups(before, after).map((name) => name.toLowerCase()));
  if (newlyManaged.size > 0) {
    const byMember = new Map(states.filter((state) => state.memberId).map((state) => [state.memberId!, state.workerKey]));
    for (const group of (await bitwarden.listGroups()).filter((candidate) => newlyManaged.has(candidate.name.toLowerCase()))) {
      for (const memberId of await bitwarden.getGroupMemberIds(group.id)) if (byMember.has(memberId)) affected.add(byMember.get(memberId)!);
    }
  }
  return [...affected];
}
