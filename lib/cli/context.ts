import { loadConfigFile } from '../config/load.js';
import type { LifecycleConfig } from '../config/schema.js';
import type { Environment } from '../runtime/env.js';
import type { Output } from './output.js';

/** What every command gets: where to print, the target's environment, and the config file (`--config`, else LIFECYCLE_CONFIG). */
export interface CliContext {
  out: Output;
  env: Environment;
  configPath: string;
  config(): LifecycleConfig;
}

export function cliContext(out: Output, env: Environment, configOption: string | undefined): CliContext {
  const configPath = configOption ?? env.LIFECYCLE_CONFIG;
  let config: LifecycleConfig | undefined;
  return { out, env, configPath, config: () => (config ??= loadConfigFile(configPath)) };
}
