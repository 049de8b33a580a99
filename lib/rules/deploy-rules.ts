import { createHash } from 'node:crypto';
import type { BitwardenClient } from '../bitwarden/client.js';
import { canonicalJson } from '../config/canonical-json.js';
import { parseConfig } from '../config/load.js';
import type { Rule } from '../config/schema.js';
import { reevaluation } from '../lifecycle/sweep.js';
import { managedGroupNames, ruleMatches } from '../policy/rules.js';
import type { EventPublisher } from '../queue/publisher.js';
import type { RuleStore, RulesVersion } from '../store/rule-store.js';
import type { WorkerStateStore } from '../store/worker-state.js';

export interface RulesDeployment extends RulesVersion {
  ruleCount: number;
  written: string[];
  deleted: string[];
  /** Groups created in Bitwarden because the rules name them (bitwarden.createMissingGroups). */
  createdGroups: string[];
  /** Workers sent to be re-evaluated because their groups may change. */
  reevaluated: string[];
}

export interface DeployDependencies {
  store: RuleStore;
  workers: WorkerStateStore;
  publisher: EventPublisher;
  bitwarden: BitwardenClient;
  now(): Date;
}

const fingerprint = (rule: Rule) => createHash('sha256').update(canonicalJson(rule)).digest('hex');

/** Rules added, removed or changed, in their old and new forms. */
function changedRules(before: readonly Rule[], after: readonly Rule[]): Rule[] {
  const old = new Map(before.map((rule) => [rule.id, rule]));
  const next = new Map(after.map((rule) => [rule.id, rule]));
  const changed: Rule[] = [];
  for (const rule of after) if (!old.has(rule.id) || fingerprint(old.get(rule.id)!) !== fingerprint(rule)) changed.push(rule);
  for (const rule of before) if (!next.has(rule.id) || fingerprint(next.get(rule.id)!) !== fingerprint(rule)) changed.push(rule);
  return changed;
}

/**
 * Makes the rules table match the config file (the step `cdk deploy` runs through a custom
 * resource, and `npm start` at boot and on every save of the file), then re-evaluates exactly
 * the workers whose groups may change: those matched by the old or the new form of a changed
 * rule, and the members of groups that became managed. The file is validated by the same schema
 * first, so a bad file changes nothing.
 */
export async function deployRules(configText: string, source: string, deps: DeployDependencies): Promise<RulesDeployment> {
  const config = parseConfig(configText, source);
  const before = await deps.store.list();

  const createdGroups: string[] = [];
  if (config.bitwarden.createMissingGroups) {
    const existing = new Set((await deps.bitwarden.listGroups()).map((group) => group.name.toLowerCase()));
    for (const name of managedGroupNames(config.rules).filter((candidate) => !existing.has(candidate.toLowerCase()))) {
      await deps.bitwarden.createGroup({ name, externalId: `lifecycle:${name}` });
      createdGroups.push(name);
    }
  }

  const { written, deleted } = await deps.store.replaceAll(config.rules);
  const changed = changedRules(before, config.rules);
  const reevaluated = new Set<string>();
  if (changed.length > 0) {
    const states = await deps.workers.all();
    for (const state of states) if (changed.some((rule) => ruleMatches(rule, state.record))) reevaluated.add(state.workerKey);

    // A group that became managed: its members who match no rule naming it will leave it.
    const wasManaged = new Set(managedGroupNames(before).map((name) => name.toLowerCase()));
    const newlyManaged = managedGroupNames(config.rules).filter((name) => !wasManaged.has(name.toLowerCase()));
    if (newlyManaged.length > 0 && before.length > 0) {
      const groups = await deps.bitwarden.listGroups();
      const byMember = new Map(states.filter((state) => state.memberId).map((state) => [state.memberId!, state.workerKey]));
      for (const group of groups.filter((candidate) => newlyManaged.some((name) => name.toLowerCase() === candidate.name.toLowerCase()))) {
        for (const memberId of await deps.bitwarden.getGroupMemberIds(group.id)) if (byMember.has(memberId)) reevaluated.add(byMember.get(memberId)!);
      }
    }
  }
  const version = await deps.store.recordVersion(config.rules, source, deps.now());
  if (reevaluated.size > 0) await deps.publisher.publish([...reevaluated].map((workerKey) => reevaluation(workerKey, `rules-v${version.version}`, deps.now(), false)));
  return { ...version, ruleCount: config.rules.length, written, deleted, createdGroups, reevaluated: [...reevaluated] };
}
