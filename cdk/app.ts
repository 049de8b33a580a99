import { App } from 'aws-cdk-lib';
import { ConfigError, loadConfigFile } from '../lib/config/load.js';
import { LifecycleStack } from './lifecycle-stack.js';

const app = new App();
const configPath = (app.node.tryGetContext('config') as string | undefined) ?? 'cdk/config/lifecycle.yaml';

try {
  // The same schema the handlers use at run time: a file that synthesizes is a file that runs.
  const config = loadConfigFile(configPath);
  new LifecycleStack(app, 'HrBitwardenLifecycle', { config, configPath });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
