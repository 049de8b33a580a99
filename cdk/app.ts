import { existsSync } from 'node:fs';
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfigFile } from '../lib/config/load.js';
import { ConfigError } from '../lib/config/validate.js';
import { LifecycleStack } from './lifecycle-stack.js';

/**
 * `cdk deploy -c stage=prod`: each stage is its own stack with its own config file,
 * cdk/config/lifecycle.<stage>.yaml (falling back to lifecycle.yaml), unless `-c config=FILE` says.
 */
const app = new App();
const stage = (app.node.tryGetContext('stage') as string | undefined) ?? 'dev';
const staged = `cdk/config/lifecycle.${stage}.yaml`;
const configPath = (app.node.tryGetContext('config') as string | undefined) ?? (existsSync(staged) ? staged : 'cdk/config/lifecycle.yaml');

try {
  // The same schema the handlers use at run time: a file that synthesizes is a file that runs.
  const config = loadConfigFile(configPath);
  const stack = new LifecycleStack(app, `HrBitwardenLifecycle-${stage}`, { config, configPath, stage, description: `HR → Bitwarden lifecycle (${stage}), config ${configPath}` });
  Tags.of(stack).add('lifecycle:stage', stage);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// Every synth runs the AWS Solutions rules; each finding acknowledged says why, beside the resource it concerns (Validations.of(...).acknowledge).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
