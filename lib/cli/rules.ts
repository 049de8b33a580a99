import { readFileSync } from 'node:fs';
import { canonicalJson } from '../config/canonical-json.js';
import { ConfigError, parseConfig } from '../config/load.js';
import type { Rule } from '../config/schema.js';
import { decide } from '../policy/decide.js';
import { groupsFor, managedGroupNames, ruleMatches } from '../policy/rules.js';
import { documentClient } from '../runtime/aws.js';
import { bitwardenClient, loadConfig } from '../runtime/dependencies.js';
import { RuleStore } from '../store/rule-store.js';
import { tableName, Tables } from '../store/tables.js';
import { WorkerStateStore } from '../store/worker-state.js';
import { findMember } from '../sync/find-member.js';
import { GroupDirectoryCache } from '../sync/group-directory.js';
import { plan } from '../sync/plan.js';
import { table, type Output } from './output.js';

const DEFAULT_CONFIG = () => process.env.LIFECYCLE_CONFIG ?? 'cdk/config/lifecycle.yaml';

function readConfig(path: string) {
  return parseConfig(readFileSync(path, 'utf8'), path);
}

/** `rules validate`: the same schema `cdk synth` runs. */
export function rulesValidate(out: Output, path = DEFAULT_CONFIG()): number {
  try {
    const config = readConfig(path);
    const groups = managedGroupNames(config.rules);
    out.print(`${path} is valid: ${config.rules.length} rule(s) managing ${groups.length} group(s): ${groups.join(', ')}`, { valid: true, rules: config.rules.length, managedGroups: groups });
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out.print(error.message, { valid: false, problems: error.problems });
    return 1;
  }
}

/** `rules diff`: the file against the deployed rules table, and the workers a deploy would re-evaluate. */
export async function rulesDiff(out: Output, path = DEFAULT_CONFIG()): Promise<number> {
  const file = readConfig(path).rules;
  const deployed = await new RuleStore(documentClient(), tableName(Tables.rules)).list();
  const before = new Map(deployed.map((rule) => [rule.id, rule]));
  const after = new Map(file.map((rule) => [rule.id, rule]));
  const changes = [
    ...file.filter((rule) => !before.has(rule.id)).map((rule) => ({ change: 'added', rule })),
    ...deployed.filter((rule) => !after.has(rule.id)).map((rule) => ({ change: 'removed', rule })),
    ...file.filter((rule) => before.has(rule.id) && canonicalJson(before.get(rule.id)) !== canonicalJson(rule)).map((rule) => ({ change: 'changed', rule })),
  ];
  const touched: Rule[] = changes.flatMap(({ rule }) => [rule, ...(before.has(rule.id) ? [before.get(rule.id)!] : [])]);
  const workers = changes.length ? (await new WorkerStateStore(documentClient(), tableName(Tables.workers)).all()).filter((state) => touched.some((rule) => ruleMatches(rule, state.record))) : [];
  const text = changes.length
    ? `${table(['change', 'rule', 'groups'], changes.map(({ change, rule }) => [change, rule.id, rule.groups.join(', ')]))}\n\nA deploy would re-evaluate ${workers.length} worker(s).`
    : `${path} matches the deployed rules.`;
  out.print(text, { changes: changes.map(({ change, rule }) => ({ change, id: rule.id })), reevaluate: workers.map((state) => state.workerKey) });
  return 0;
}

/** `rules explain WORKER`: which rules match, which groups follow, and what the next event would change. */
export async function rulesExplain(out: Output, workerKey: string): Promise<number> {
  const config = loadConfig();
  const state = await new WorkerStateStore(documentClient(), tableName(Tables.workers)).get(workerKey);
  if (!state) {
    out.print(`No worker "${workerKey}" is known. Worker keys are HR ids (the member's externalId); see npx lifecycle status.`, { error: 'unknown worker', workerKey });
    return 1;
  }
  const rules = await new RuleStore(documentClient(), tableName(Tables.rules)).list();
  const grant = groupsFor(state.record, rules);
  const desired = decide(state.record, rules, config.policy, new Date(), { revokedAt: state.revokedAt });
  const bitwarden = bitwardenClient(config);
  const actual = await findMember(bitwarden, workerKey, state.memberId, desired.email);
  const actions = plan(workerKey, desired, actual, await new GroupDirectoryCache(bitwarden).resolve(rules)).actions;
  const rows = rules.map((rule) => [rule.id, ruleMatches(rule, state.record) ? 'matches' : '', rule.groups.join(', ')]);
  out.print(
    `Worker ${workerKey}: ${state.record.jobTitle ?? '-'}, ${state.record.department ?? '-'}, ${state.record.employmentType}, ${state.record.status}\n\n${table(['rule', 'match', 'groups'], rows)}\n\n` +
      `Desired: ${desired.access}${desired.groups.length ? ` in ${desired.groups.join(', ')}` : ''} (${desired.reason})\n` +
      `Would do now: ${actions.length ? actions.map((action) => action.kind).join(', ') : 'nothing'}`,
    { workerKey, matchedRules: grant.matchedRules, desired, actions },
  );
  return 0;
}
