import { loadConfigFile } from '../config/load.js';
import { ConfigError } from '../config/validate.js';
import { groupsFor, managedGroupNames, ruleMatches } from '../policy/rules.js';
import { reevaluation } from '../queue/message.js';
import { affectedWorkers, ruleChanges } from '../rules/changes.js';
import { syncDependencies } from '../runtime/dependencies.js';
import { evaluate } from '../sync/evaluate.js';
import type { CliContext } from './context.js';
import { table, type Output } from './output.js';

/** `rules validate`: the same schema `cdk synth` runs. */
export function rulesValidate(out: Output, path: string): number {
  try {
    const config = loadConfigFile(path);
    const groups = managedGroupNames(config.rules);
    out.print(`${path} is valid: ${config.rules.length} rule(s) managing ${groups.length} group(s): ${groups.join(', ')}`, { valid: true, rules: config.rules.length, managedGroups: groups });
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out.print(error.message, { valid: false, problems: error.problems });
    return 1;
  }
}

/** `rules diff`: the file against the deployed rules table, and the workers a deploy would re-evaluate (the deployer's own computation). */
export async function rulesDiff({ out, env, configPath, config }: CliContext): Promise<number> {
  const file = config().rules;
  const deps = syncDependencies(env, config());
  const deployed = await deps.rules();
  const changes = ruleChanges(deployed, file);
  const workers = changes.length ? await affectedWorkers(deployed, file, await deps.workers.all(), deps.bitwarden) : [];
  const text = changes.length
    ? `${table(['change', 'rule', 'groups'], changes.map(({ change, rule }) => [change, rule.id, rule.groups.join(', ')]))}\n\nA deploy would re-evaluate ${workers.length} worker(s).`
    : `${configPath} matches the deployed rules.`;
  out.print(text, { changes: changes.map(({ change, rule }) => ({ change, id: rule.id })), reevaluate: workers });
  return 0;
}

/** `rules explain WORKER`: which rules match, which groups follow, and what the worker would change now. */
export async function rulesExplain({ out, env, config }: CliContext, workerKey: string): Promise<number> {
  const deps = syncDependencies(env, config());
  const state = await deps.workers.get(workerKey);
  if (!state) {
    out.print(`No worker "${workerKey}" is known. Worker keys are HR ids (the member's externalId); see npx lifecycle status.`, { error: 'unknown worker', workerKey });
    return 1;
  }
  const rules = await deps.rules();
  const evaluation = await evaluate(reevaluation(workerKey, 'explain', deps.now()), deps, { state });
  const actions = evaluation.outcome === 'plan' ? evaluation.plan.actions : [];
  const desired = evaluation.outcome === 'plan' ? evaluation.desired : null;
  const rows = rules.map((rule) => [rule.id, ruleMatches(rule, state.record) ? 'matches' : '', rule.groups.join(', ')]);
  out.print(
    `Worker ${workerKey}: ${state.record.jobTitle ?? '-'}, ${state.record.department ?? '-'}, ${state.record.employmentType}, ${state.record.status}\n\n${table(['rule', 'match', 'groups'], rows)}\n\n` +
      (desired ? `Desired: ${desired.access}${desired.groups.length ? ` in ${desired.groups.join(', ')}` : ''} (${desired.reason})\n` : '') +
      `Would do now: ${actions.length ? actions.map((action) => action.kind).join(', ') : 'nothing'}`,
    { workerKey, matchedRules: groupsFor(state.record, rules).matchedRules, desired, actions },
  );
  return 0;
}
