import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ConfigError, parseConfig } from '../../lib/config/load.js';
import { createTables } from '../../lib/local/bootstrap.js';
import { localContext } from '../../lib/local/lambda-context.js';
import { randomPrefix } from '../../lib/local/runtime.js';
import { documentClient, s3Client } from '../../lib/runtime/aws.js';
import { RuleStore } from '../../lib/store/rule-store.js';
import { tableName, Tables } from '../../lib/store/tables.js';

const shipped = readFileSync('cdk/config/lifecycle.yaml', 'utf8');
const bucket = `config-${randomPrefix()}`;
let handler: (event: CloudFormationCustomResourceEvent, context: Context) => Promise<{ PhysicalResourceId: string; Data?: Record<string, unknown> }>;
let store: RuleStore;

beforeAll(async () => {
  const endpoints = inject('endpoints');
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoints.dynamodb;
  process.env.AWS_ENDPOINT_URL_S3 = endpoints.sqs; // fauxqs serves S3 on the same port
  Object.assign(process.env, await createTables(new DynamoDBClient({}), randomPrefix()));
  await s3Client().send(new CreateBucketCommand({ Bucket: bucket }));
  store = new RuleStore(documentClient(), tableName(Tables.rules));
  ({ handler } = await import('../../functions/rules-deployer.js'));
});

async function deploy(requestType: 'Create' | 'Update' | 'Delete', yaml: string) {
  const key = `lifecycle-${randomPrefix()}.yaml`;
  await s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: yaml }));
  const event = {
    RequestType: requestType,
    ServiceToken: 'arn',
    ResponseURL: 'https://example.invalid',
    StackId: 'stack',
    RequestId: 'request',
    LogicalResourceId: 'Rules',
    ResourceType: 'Custom::LifecycleRules',
    ResourceProperties: { ServiceToken: 'arn', ConfigBucket: bucket, ConfigKey: key },
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'lifecycle-rules', OldResourceProperties: {} }),
  } as CloudFormationCustomResourceEvent;
  return handler(event, localContext('rules-deployer', 60));
}

describe('the rules custom resource, reading the config from S3 into DynamoDB', () => {
  it('writes every rule on create, in file order', async () => {
    const result = await deploy('Create', shipped);
    expect(result.PhysicalResourceId).toBe('lifecycle-rules');
    expect(result.Data).toMatchObject({ RuleCount: 6, Written: 6, Deleted: 0, Checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await store.list()).toEqual(parseConfig(shipped).rules);
  });

  it('writes nothing when the file is unchanged', async () => {
    expect((await deploy('Update', shipped)).Data).toMatchObject({ Written: 0, Deleted: 0 });
  });

  it('rewrites a changed rule and deletes a removed one, and nothing else', async () => {
    const changed = shipped.replace('groups: [Finance]', 'groups: [Finance, Payroll]').replace(/\n  - id: contractors[\s\S]*$/, '\n');
    expect((await deploy('Update', changed)).Data).toMatchObject({ RuleCount: 5, Written: 1, Deleted: 1 });
    expect(await store.list()).toEqual(parseConfig(changed).rules);
  });

  it('refuses an invalid file and leaves the table as it was', async () => {
    const before = await store.list();
    await expect(deploy('Update', 'rules:\n  - id: x\n    groups: []\n')).rejects.toBeInstanceOf(ConfigError);
    expect(await store.list()).toEqual(before);
  });

  it('keeps the rules when the stack deletes the resource', async () => {
    const before = await store.list();
    await deploy('Delete', shipped);
    expect(await store.list()).toEqual(before);
  });
});
