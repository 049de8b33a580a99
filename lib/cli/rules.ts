import { loadConfigFile } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import { groupsFor, managedGroupNames, ruleMatches } from '../policy/rules.js';
import { reevaluation } from '../queue/message.js';
import { affectedWorkers, ruleChanges } from '../rules/changes.js';
import type { LifecycleConfig } from '../config/schema.js';
import { bitwardenClient, syncDependencies } from '../runtime/dependencies.js';
import type { Environment } from '../runtime/env.js';
import { MissingGroupsError, missingGroups, type MissingGroup } from '../sync/group-directory.js';
import { evaluate } from '../sync/evaluate.js';
import type { CliContext } from './context.js';
import { describeAction, groupNames } from './display.js';
import { ExitCode } from './errors.js';
import { unknownWorker } from './workers.js';

/** `rules validate`: the same schema `cdk synth` runs, on the file the target uses (lib/cli/context.ts), saying which and why. */
export async function rulesValidate({ out, env, configFile }: CliContext): Promise<number> {
  const { path, origin } = configFile();
  const checked = `${path} (${origin})`;
  try {
    const config = loadConfigFile(path);
    const groups = managedGroupNames(config.rules);
    const missing = await groupsMissingIn(env, config);
    const report = { file: path, origin, rules: config.rules.length, managedGroups: groups, groupsChecked: missing !== null, missingGroups: missing ?? [] };
    if (missing?.length && !config.bitwarden.createMissingGroups) {
      out.print(`Checked ${checked} against Bitwarden.\n${new MissingGroupsError(missing).message}`, { valid: false, ...report });
      return ExitCode.failure;
    }
    const inBitwarden =
      missing === null
        ? 'group names not checked: no Bitwarden connection (start npm start, or name the deployed stack with --stack)'
        : missing.length
          ? `Bitwarden lacks ${missing.map(({ group }) => `"${group}"`).join(', ')}: a deploy creates them (bitwarden.createMissingGroups)`
          : 'every group exists in Bitwarden';
    out.print(`${checked} is valid: ${config.rules.length} rule(s) managing ${groups.length} group(s): ${groups.join(', ')}; ${inBitwarden}`, { valid: true, ...report });
    return ExitCode.ok;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    out.print(`Checked ${checked}.\n${error.message}`, { valid: false, file: path, origin, problems: error.problems });
    return ExitCode.failure;
  }
}

/** The groups the rules name that Bitwarden lacks, where the target has a Bitwarden connection (npm start, a stack); null where it has none. */
async function groupsMissingIn(env: Environment, config: LifecycleConfig): Promise<MissingGroup[] | null> {
  if (!env.BITWARDEN_CLIENT_ID && !env.variables.BITWARDEN_CREDENTIALS_ARN) return null;
  return missingGroups(await bitwardenClient(env, config).listGroups(), config.rules);
}

/** `rules diff`: the file against the deployed rules table, and the workers a deploy would re-evaluate (the deployer's own computation). */
export async function rulesDiff({ out, env, configFile, config }: CliContext): Promise<number> {
  const { path } = configFile();
  const file = config().rules;
  // A misspelt group fails here, naming its rule, rather than as every matching hire's dead letter.
  const missing = await groupsMissingIn(env, config());
  if (missing?.length && !config().bitwarden.createMissingGroups) throw new MissingGroupsError(missing);
  const deps = syncDependencies(env, config());
  const deployed = await deps.rules();
  const changes = ruleChanges(deployed, file);
  const workers = changes.length ? await affectedWorkers(deployed, file, await deps.workers.all(), deps.bitwarden) : [];
  const text = changes.length
    ? `${out.table(['change', 'rule', 'groups'], changes.map(({ change, rule }) => [change, rule.id, rule.groups.join(', ')]))}\n\nA deploy of ${path} would re-evaluate ${workers.length} worker(s).`
    : `${path} matches the deployed rules.`;
  out.print(text, { file: path, changes: changes.map(({ change, rule }) => ({ change, id: rule.id })), reevaluate: workers });
  return changes.length ? ExitCode.attention : ExitCode.ok;
}

/** `rules explain WORKER`: which rules match, which groups follow, and what the worker would change now. */
export async function rulesExplain(context: CliContext, workerKey: string): Promise<number> {
  const { out, env, config } = context;
  const deps = syncDependencies(env, config());
  const state = await deps.workers.get(workerKey);
  if (!state) return unknownWorker(context, workerKey);
  const rules = await deps.rules();
  const evaluation = await evaluate(reevaluation(workerKey, 'explain', deps.now()), deps, { state });
  const actions = evaluation.outcome === 'plan' ? evaluation.plan.actions : [];
  const desired = evaluation.outcome === 'plan' ? evaluation.desired : null;
  const rows = rules.map((rule) => [rule.id, ruleMatches(rule, state.record) ? 'matches' : '', rule.groups.join(', ')]);
  const names = groupNames(await deps.bitwarden.listGroups());
  out.print(
    `Worker ${workerKey}: ${state.record.jobTitle ?? '-'}, ${state.record.department ?? '-'}, ${state.record.employmentType}, ${state.record.status}\n\n${out.table(['rule', 'match', 'groups'], rows)}\n\n` +
      (desired ? `Desired: ${desired.access} as ${desired.memberType}${desired.groups.length ? ` in ${desired.groups.join(', ')}` : ''} (${desired.reason})\n` : '') +
      `Would do now: ${actions.map((action) => describeAction(action, names)).join('; ') || 'nothing'}`,
    { workerKey, matchedRules: groupsFor(state.record, rules).matchedRules, desired, actions },
  );
  return ExitCode.ok;
}
