import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../lib/config/load.js';
import { ConfigError } from '../../lib/config/errors.js';
import { shipConfig } from '../../lib/config/shipped.js';
import { localContext } from '../../lib/local/lambda-context.js';
import { randomPrefix } from '../../lib/local/runtime.js';
import { documentClient, s3Client } from '../../lib/runtime/aws.js';
import { RuleStore } from '../../lib/store/rule-store.js';
import { Tables } from '../../lib/store/tables.js';
import { checksumOf } from '../../lib/vocabulary/canonical-json.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { runCli } from '../support/cli.js';
import { genericDelivery, worker, type WorkerInput } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';
import { inject } from 'vitest';

/** The rules custom resource: config file from S3 → rules table → re-evaluation of exactly the affected workers. */
const shipped = readFileSync('cdk/config/lifecycle.yaml', 'utf8');
const bucket = `config-${randomPrefix()}`;
let runtime: TestRuntime;
let handler: (event: CloudFormationCustomResourceEvent, context: Context) => Promise<{ PhysicalResourceId: string; Data?: Record<string, unknown> }>;
const store = () => new RuleStore(documentClient(), tableName(readEnvironment(), Tables.rules));

beforeAll(async () => {
  runtime = await startTestRuntime();
  process.env.AWS_ENDPOINT_URL_S3 = inject('endpoints').sqs; // fauxqs serves S3 on the same port
  // As the stack ships it: the config validated at synth, as JSON beside the handler.
  const shipped = path.join(mkdtempSync(path.join(tmpdir(), 'shipped-')), 'lifecycle.json');
  writeFileSync(shipped, shipConfig(loadConfigFile('cdk/config/lifecycle.yaml')));
  process.env.LIFECYCLE_CONFIG = shipped;
  await s3Client(readEnvironment()).send(new CreateBucketCommand({ Bucket: bucket }));
  ({ handler } = await import('../../functions/rules-deployer.js'));
});
afterAll(() => runtime?.stop());

/** Deploys `yaml` as the stack ships it: validated at synth, as JSON sealed with its checksum (lib/config/shipped.ts). */
const deploy = (requestType: 'Create' | 'Update' | 'Delete', yaml: string) => deployShipped(requestType, shipConfig(parseConfig(yaml)));

async function deployShipped(requestType: 'Create' | 'Update' | 'Delete', shippedText: string) {
  const key = `lifecycle-${randomPrefix()}.json`;
  await s3Client(readEnvironment()).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: shippedText }));
  const event = {
    RequestType: requestType, ServiceToken: 'arn', ResponseURL: 'https://example.invalid', StackId: 'stack', RequestId: 'request', LogicalResourceId: 'Rules',
    ResourceType: 'Custom::LifecycleRules', ResourceProperties: { ServiceToken: 'arn', ConfigBucket: bucket, ConfigKey: key },
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'lifecycle-rules', OldResourceProperties: {} }),
  } as CloudFormationCustomResourceEvent;
  return handler(event, localContext('rules-deployer', 60));
}

async function hire(record: WorkerInput) {
  const delivery = genericDelivery('worker.hired', record, { secret: TEST_SECRET });
  const processed = runtime.processed(delivery.id);
  expect((await runtime.post('generic', delivery)).status).toBe(202);
  await processed;
}

describe('deploying the rules', () => {
  const people = { engineering: [worker({ department: 'Engineering' }), worker({ department: 'Engineering' })], finance: [worker({ department: 'Finance', jobTitle: 'Accountant' }), worker({ department: 'Accounting', jobTitle: 'Controller' })], sales: [worker({ department: 'Sales' }), worker({ department: 'Sales' })] };

  it('writes nothing and re-evaluates no one when the file is what is deployed', async () => {
    // npm start deployed the shipped file at boot (version 1).
    for (const record of Object.values(people).flat()) await hire(record);
    const result = await deploy('Update', shipped);
    expect(result.PhysicalResourceId).toBe('lifecycle-rules');
    expect(result.Data).toMatchObject({ Version: 2, RuleCount: 6, Written: 0, Deleted: 0, Reevaluated: 0, Checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(await store().list()).toEqual(parseConfig(shipped).rules);
    // The version records the checksum of the rules as read back: a cold worker, reading both side by side, can tell it has them (currentRules).
    expect((await store().version())?.checksum).toBe(checksumOf(await store().list()));
  });

  it('re-evaluates exactly the workers a changed rule matches (old or new form), and regroups only them', async () => {
    runtime.bitwarden!.addGroup('Payroll');
    runtime.bitwarden!.clearRequests();
    const changed = shipped.replace('groups: [Finance]', 'groups: [Finance, Payroll]');
    const financeKeys = people.finance.map((person) => person.externalId);
    const settled = Promise.all(financeKeys.map((key) => runtime.processed((message) => message.workerKey === key && message.subject.kind === 'reevaluate')));

    const result = await deploy('Update', changed);
    expect(result.Data).toMatchObject({ Version: 3, Written: 1, Deleted: 0, Reevaluated: 2 });
    await settled;

    const writes = runtime.bitwarden!.writes();
    expect(writes.map((exchange) => `${exchange.method} ${exchange.route}`)).toEqual(['PUT /public/members/{id}/group-ids', 'PUT /public/members/{id}/group-ids']);
    for (const key of financeKeys) expect(runtime.bitwarden!.memberByExternalId(key)?.groupNames).toEqual(['All Staff', 'Finance', 'Payroll']);
    for (const person of [...people.engineering, ...people.sales]) expect(runtime.bitwarden!.memberByExternalId(person.externalId)?.groupNames).not.toContain('Payroll');
  });

  it('re-evaluates members of a group that becomes managed, and a removed rule’s workers', async () => {
    // An admin put a salesperson in "Break Glass" by hand; a new rule makes that group managed.
    const breakGlass = runtime.bitwarden!.addGroup('Break Glass');
    const salesperson = runtime.bitwarden!.memberByExternalId(people.sales[0]!.externalId)!;
    runtime.bitwarden!.addToGroup(salesperson.id, breakGlass.id);
    const next = shipped.replace('groups: [Finance]', 'groups: [Finance, Payroll]').replace(/\n  - id: customer-success[\s\S]*?groups: \[Customer Success\]\n/, '\n') + '\n  - id: sre-break-glass\n    match:\n      jobTitle: "*SRE*"\n    groups: [Break Glass]\n';
    // rules diff counts what the deployer will re-evaluate: the same function serves both.
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'rules-')), 'lifecycle.yaml');
    writeFileSync(file, next);
    expect((await runCli<{ reevaluate: string[] }>('rules', 'diff', '--config', file)).json.reevaluate).toEqual([people.sales[0]!.externalId]);
    const settled = runtime.processed((message) => message.workerKey === people.sales[0]!.externalId && message.subject.kind === 'reevaluate');
    const result = await deploy('Update', next);
    // Written: the new rule, and the rule after the removed one (its position moved).
    expect(result.Data).toMatchObject({ Written: 2, Deleted: 1, Reevaluated: 1 });
    await settled;
    // Break Glass is managed now, and no rule gives it to a salesperson.
    expect(runtime.bitwarden!.memberByExternalId(people.sales[0]!.externalId)?.groupNames).toEqual(['All Staff']);
  });

  it('refuses a file that is not the one validated at synth, and leaves the table as it was', async () => {
    const before = await store().list();
    const sealed = JSON.parse(shipConfig(parseConfig(shipped))) as { checksum: string; config: { rules: Array<{ groups: string[] }> } };
    const edited = { ...sealed, config: { ...sealed.config, rules: sealed.config.rules.map((rule) => ({ ...rule, groups: [] })) } };
    await expect(deployShipped('Update', JSON.stringify(edited))).rejects.toBeInstanceOf(ConfigError);
    expect(await store().list()).toEqual(before);
  });

  it('keeps the rules when the stack deletes the resource', async () => {
    const before = await store().list();
    await deploy('Delete', shipped);
    expect(await store().list()).toEqual(before);
  });

  it('lets an admin diff the file against the deployed rules, and explain a worker (npx lifecycle rules …)', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'rules-')), 'lifecycle.yaml');
    writeFileSync(file, shipped.replace('department: [Finance, Accounting]', 'department: [Finance]'));
    const diff = (await runCli<{ changes: unknown[]; reevaluate: string[] }>('rules', 'diff', '--config', file)).json;
    expect(diff.changes).toContainEqual({ change: 'changed', id: 'finance' });
    expect(diff.reevaluate).toEqual(expect.arrayContaining(people.finance.map((person) => person.externalId)));

    // LIFECYCLE_CONFIG names the deployer's shipped file here, which is not a config file to edit: the CLI is given the one it was shipped from.
    const explained = (await runCli<{ matchedRules: string[]; desired: { access: string; groups: string[] }; actions: unknown[] }>('rules', 'explain', people.engineering[0]!.externalId, '--config', 'cdk/config/lifecycle.yaml')).json;
    expect(explained).toMatchObject({ matchedRules: ['everyone', 'engineering', 'platform-engineers'], desired: { access: 'member', groups: ['All Staff', 'Engineering', 'Production Access'] }, actions: [] });
    expect((await runCli('rules', 'explain', 'nobody', '--config', 'cdk/config/lifecycle.yaml')).status).toBe(1);
  });

  it('creates the groups the rules name when the config allows it', async () => {
    const creating = shipped.replace('  region: us\n', '  region: us\n  createMissingGroups: true\n') + '\n  - id: auditors\n    match:\n      department: Internal Audit\n    groups: [Auditors]\n';
    const result = await deploy('Update', creating);
    expect(result.Data).toMatchObject({ CreatedGroups: 'Auditors' });
    expect(runtime.bitwarden!.groupByName('Auditors')).toMatchObject({ externalId: 'lifecycle:Auditors' });
  });
});
