import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { s3Client } from '../lib/runtime/aws.js';
import { deployDependencies } from '../lib/runtime/dependencies.js';
import { logger } from '../lib/runtime/observability.js';
import { deployRules } from '../lib/rules/deploy-rules.js';

const PHYSICAL_ID = 'lifecycle-rules';
const s3 = s3Client();

/**
 * Custom resource (CDK provider framework): on create and update, writes the rules of the config
 * file (an S3 asset, so its size is not bound by resource properties) to the rules table and
 * re-evaluates the workers whose groups may change. On delete it does nothing: the rules stay
 * with the retained table.
 */
export const handler = middy(async (event: CloudFormationCustomResourceEvent) => {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const { ConfigBucket: bucket, ConfigKey: key } = event.ResourceProperties as unknown as { ConfigBucket: string; ConfigKey: string };
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const deployment = await deployRules(await object.Body!.transformToString('utf8'), `s3://${bucket}/${key}`, deployDependencies());
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
}).use(injectLambdaContext(logger));
