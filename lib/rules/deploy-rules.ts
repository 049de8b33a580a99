import type { BitwardenClient } from '../bitwarden/client.js';
import type { LifecycleConfig } from '../config/schema.js';
import { reevaluation } from '../queue/message.js';
import type { EventPublisher } from '../queue/publisher.js';
import type { RuleStore, RulesVersion } from '../store/rule-store.js';
import type { WorkerStateStore } from '../store/worker-state.js';
import { MissingGroupsError, missingGroups } from '../sync/group-directory.js';
import { affectedWorkers, ruleChanges } from './changes.js';

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

/**
 * Makes the rules table match the config file (the step `cdk deploy` runs through a custom
 * resource, and `npm start` at boot and on every save of the file), then re-evaluates exactly
 * the workers whose groups may change: those matched by the old or the new form of a changed
 * rule, and the members of groups that became managed. `config` was validated by the one schema
 * (lib/config/validate.ts) before it came here, so a bad file changes nothing.
 */
export async function deployRules(config: LifecycleConfig, source: string, deps: DeployDependencies): Promise<RulesDeployment> {
  const before = await deps.store.list();

  // A group Bitwarden lacks is created, or refuses the deployment before anything is written: a misspelt
  // name must fail here, naming its rule, not later as every matching hire's dead letter.
  const missing = missingGroups(await deps.bitwarden.listGroups(), config.rules);
  if (missing.length > 0 && !config.bitwarden.createMissingGroups) throw new MissingGroupsError(missing);
  const createdGroups: string[] = [];
  for (const { group: name } of missing) {
    await deps.bitwarden.createGroup({ name, externalId: `lifecycle:${name}` });
    createdGroups.push(name);
  }

  const { written, deleted } = await deps.store.replaceAll(config.rules);
  const reevaluated = ruleChanges(before, config.rules).length > 0 ? await affectedWorkers(before, config.rules, await deps.workers.all(), deps.bitwarden) : [];
  const version = await deps.store.recordVersion(config.rules, source, deps.now());
  if (reevaluated.length > 0) await deps.publisher.publish(reevaluated.map((workerKey) => reevaluation(workerKey, `rules-v${version.version}`, deps.now(), false)));
  return { ...version, ruleCount: config.rules.length, written, deleted, createdGroups, reevaluated };
}
