import { loadConfigFile } from '../config/load.js';
import type { LifecycleConfig } from '../config/schema.js';
import { readEnvironment, type Environment } from '../runtime/env.js';
import { selectTarget } from '../runtime/local-target.js';
import type { Output } from './output.js';
import { describeStack, stackTarget, StackTargetError } from './stack-target.js';

/** The options every command takes (lib/cli/program.ts). */
export interface GlobalOptions {
  json?: boolean;
  config?: string;
  stack?: string;
  region?: string;
  profile?: string;
  aws?: boolean;
}

/** What a command acts on: the running `npm start`, a deployed stack by name, or the tables and queues the environment names. */
export type Target = { kind: 'local' } | { kind: 'stack'; name: string; configFile: string | null } | { kind: 'environment' };

/** A config file, and why it is the one: said by `rules validate`, so nobody checks one file believing it is another. */
export interface ConfigFile {
  path: string;
  origin: string;
}

/** What every command gets. */
export interface CliContext {
  out: Output;
  env: Environment;
  target: Target;
  configFile(): ConfigFile;
  config(): LifecycleConfig;
  /** Where the command was started (paths are the repository's once it runs): files it writes by default go there. */
  workingDirectory: string;
}

/** Where main.ts started: its environment variables and working directory. */
export interface Invocation {
  variables: Readonly<Record<string, string | undefined>>;
  workingDirectory: string;
}

export async function cliContext(options: GlobalOptions, out: Output, invocation: Invocation): Promise<CliContext> {
  const { target, env } = await resolveTarget(options, invocation.variables);
  const configFile = (): ConfigFile => (options.config ? { path: options.config, origin: '--config' } : targetConfigFile(target, env.LIFECYCLE_CONFIG, invocation.variables));
  let config: LifecycleConfig | undefined;
  return { out, env, target, configFile, config: () => (config ??= loadConfigFile(configFile().path)), workingDirectory: invocation.workingDirectory };
}

async function resolveTarget(options: GlobalOptions, variables: Invocation['variables']): Promise<{ target: Target; env: Environment }> {
  if (options.stack) {
    const stack = stackTarget(await describeStack(options.stack));
    return { target: { kind: 'stack', name: stack.name, configFile: stack.configFile }, env: readEnvironment({ ...variables, ...stack.variables }) };
  }
  const selected = selectTarget(options.aws ?? false);
  return { target: { kind: selected.target === 'local' ? 'local' : 'environment' }, env: selected.env };
}

/**
 * The config file of the target, when --config does not name one: the file the running `npm start`
 * loaded (its LIFECYCLE_CONFIG, from its runtime file), the file the stack was deployed from, or
 * LIFECYCLE_CONFIG, else the default (`configured` is the environment's, lib/runtime/env.ts).
 */
export function targetConfigFile(target: Target, configured: string, variables: Invocation['variables']): ConfigFile {
  switch (target.kind) {
    case 'local':
      return { path: configured, origin: 'the file npm start loaded' };
    case 'stack':
      if (!target.configFile) throw new StackTargetError(`stack ${target.name} does not say which config file it was deployed from (it predates its ConfigFilePath output)`, 'Name it: --config FILE, the file you deployed the stack with.');
      return { path: target.configFile, origin: `the file stack ${target.name} was deployed from` };
    case 'environment':
      return { path: configured, origin: variables.LIFECYCLE_CONFIG ? 'LIFECYCLE_CONFIG' : 'the default' };
  }
}
