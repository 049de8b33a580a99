import { existsSync } from 'node:fs';
import { App, CfnOutput, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfigFile } from '../lib/config/load.js';
import { ConfigError } from '../lib/config/errors.js';
import { LifecycleStack } from './lifecycle-stack.js';

/**
 * `cdk deploy -c stage=prod`: each stage is its own stack with its own config file,
 * cdk/config/lifecycle.<stage>.yaml, unless `-c config=FILE` says. Only `dev` falls back to
 * cdk/config/lifecycle.yaml: another stage without its file would deploy a new stack with the dev
 * rules, so it is an error naming the file, as is a `-c config=` file that does not exist.
 */
const app = new App();
const stage = (app.node.tryGetContext('stage') as string | undefined) ?? 'dev';

/** The stage's config file does not exist: nothing is synthesized. */
class MissingConfigFileError extends Error {}

function configPathOf(given: string | undefined): string {
  if (given !== undefined) {
    if (!existsSync(given)) throw new MissingConfigFileError(`-c config=${given}: the file does not exist.`);
    return given;
  }
  const staged = `cdk/config/lifecycle.${stage}.yaml`;
  if (existsSync(staged)) return staged;
  if (stage === 'dev') return 'cdk/config/lifecycle.yaml';
  throw new MissingConfigFileError(`-c stage=${stage}: ${staged} does not exist. Create it (start from cdk/config/lifecycle.yaml) or name the file with -c config=FILE.`);
}

try {
  const configPath = configPathOf(app.node.tryGetContext('config') as string | undefined);
  // Validated here, once: the handlers get it sealed with its checksum (lib/config/shipped.ts), so a file that synthesizes is a file that runs.
  const config = loadConfigFile(configPath);
  const stack = new LifecycleStack(app, `HrBitwardenLifecycle-${stage}`, { config, configPath, stage, description: `HR → Bitwarden lifecycle (${stage}), config ${configPath}` });
  Tags.of(stack).add('lifecycle:stage', stage);
  // `npx lifecycle --stack` takes its default --config from here (lib/cli/stack-target.ts).
  new CfnOutput(stack, 'ConfigFilePath', { value: configPath, description: 'The config file this stack was deployed from' });
} catch (error) {
  if (!(error instanceof ConfigError || error instanceof MissingConfigFileError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// Every synth runs the AWS Solutions rules; each finding acknowledged says why, beside the resource it concerns (Validations.of(...).acknowledge).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
