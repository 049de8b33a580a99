import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { parseShippedConfig } from '../lib/config/shipped.js';
import { deployRules, type DeployDependencies } from '../lib/rules/deploy-rules.js';
import { readObject } from '../lib/runtime/aws.js';
import { deployDependencies } from '../lib/runtime/dependencies.js';
import { readEnvironment } from '../lib/runtime/env.js';
import { withPowertools } from '../lib/runtime/handler.js';
import { logger } from '../lib/runtime/observability.js';

const PHYSICAL_ID = 'lifecycle-rules';

/**
 * Custom resource (CDK provider framework): on create and update, writes the rules of the config
 * (an S3 asset, so its size is not bound by resource properties: the file validated at synth, as
 * sealed JSON, lib/config/shipped.ts) to the rules table and
 * re-evaluates the workers whose groups may change. On delete it does nothing: the rules stay
 * with the retained table.
 */
export function createRulesDeployerHandler(dependencies: () => { deploy: DeployDependencies; readConfig(bucket: string, key: string): Promise<string> }) {
  let resolved: ReturnType<typeof dependencies> | undefined;
  return withPowertools(async (event: CloudFormationCustomResourceEvent) => {
    if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
    resolved ??= dependencies();
    const { ConfigBucket: bucket, ConfigKey: key } = event.ResourceProperties as unknown as { ConfigBucket: string; ConfigKey: string };
    const location = `s3://${bucket}/${key}`;
    const deployment = await deployRules(parseShippedConfig(await resolved.readConfig(bucket, key), location), location, resolved.deploy);
    logger.info('rules deployed', { ...deployment, reevaluated: deployment.reevaluated.length });
    return {
      PhysicalResourceId: PHYSICAL_ID,
      Data: {
        Version: deployment.version,
        RuleCount: deployment.ruleCount,
        Checksum: deployment.checksum,
        Written: deployment.written.length,
        Deleted: deployment.deleted.length,
        Reevaluated: deployment.reevaluated.length,
        CreatedGroups: deployment.createdGroups.join(', '),
      },
    };
  }, { coldStartMetric: false });
}

export const handler = createRulesDeployerHandler(() => {
  const env = readEnvironment();
  return {
    deploy: deployDependencies(env),
    readConfig: async (bucket, key) => (await readObject(env, `s3://${bucket}/${key}`)).toString('utf8'),
  };
});
