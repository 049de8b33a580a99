import { Tables } from '../../lib/store/tables.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../lib/config/load.js';
import { loadShippedConfig } from '../../lib/config/shipped.js';
import { bundleHandler, loadedWith } from '../../cdk/handler-bundle.js';
import { LifecycleStack } from '../../cdk/lifecycle-stack.js';
import { ReservedConcurrency } from '../../lib/runtime/function-url.js';

let template: Template;
let assemblyDir: string;
beforeAll(() => {
  const configPath = 'cdk/config/lifecycle.yaml';
  assemblyDir = mkdtempSync(path.join(tmpdir(), 'cdk-out-'));
  const app = new App({ outdir: assemblyDir });
  template = Template.fromStack(new LifecycleStack(app, 'Test', { config: loadConfigFile(configPath), configPath }));
}, 60_000);

const functionLogicalId = (entryDescription: RegExp) =>
  Object.entries(template.findResources('AWS::Lambda::Function')).find(([, resource]) => entryDescription.test(resource.Properties.Description ?? ''))![0];

/** The product's own functions (not CDK's custom-resource providers): each ships the config. */
const lifecycleFunctions = () => Object.values(template.findResources('AWS::Lambda::Function')).filter((resource) => resource.Properties.Environment?.Variables?.LIFECYCLE_CONFIG);

/** Every IAM statement granted to the role `role` (a logical id) in `stack`. */
const statementsOfRole = (stack: Template, role: string) =>
  Object.values(stack.findResources('AWS::IAM::Policy'))
    .filter((policy) => policy.Properties.Roles.some((entry: { Ref: string }) => entry.Ref === role))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement) as Array<{ Action: string | string[]; Resource: unknown }>;

describe('the CDK stack', () => {
  it('has two FIFO lanes, each with a FIFO DLQ, high throughput, encryption and a visibility timeout above the worker timeout', () => {
    template.resourceCountIs('AWS::SQS::Queue', 4);
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: 10 }), VisibilityTimeout: 180, FifoQueue: true }, 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 10 },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('has every table of lib/store/tables.ts, on demand, encrypted, with point-in-time recovery, kept on stack deletion', () => {
    const tables = template.findResources('AWS::DynamoDB::GlobalTable');
    expect(Object.keys(tables)).toHaveLength(Object.keys(Tables).length);
    for (const table of Object.values(tables)) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.SSESpecification).toMatchObject({ SSEEnabled: true });
      expect(table.Properties.Replicas[0].PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'workerKey', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        { IndexName: 'due', KeySchema: [{ AttributeName: 'dueShard', KeyType: 'HASH' }, { AttributeName: 'reevaluateAt', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
        { IndexName: 'member', KeySchema: [{ AttributeName: 'memberId', KeyType: 'HASH' }, { AttributeName: 'workerKey', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
      ],
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'sourceName', KeyType: 'HASH' }, { AttributeName: 'workerKey', KeyType: 'RANGE' }],
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'workerKey', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('reads an HR export dropped under roster/ in an encrypted, private bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', { BucketEncryption: Match.anyValue(), PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true } });
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: { LambdaFunctionConfigurations: [Match.objectLike({ Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'roster/' }] } } })] },
    });
  });

  it('reads every source roster on a five-minute tick, with the roster table and the lanes', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 900, Environment: { Variables: Match.objectLike({ ROSTER_TABLE: Match.anyValue(), EVENTS_QUEUE_URL: Match.anyValue(), URGENT_QUEUE_URL: Match.anyValue() }) } });
  });

  it('ships each function its own bundle: index.mjs with the handler, the SDK through require, the config beside it, the LDAP client only in a chunk', () => {
    const functions = lifecycleFunctions();
    expect(functions).toHaveLength(7);
    // A function's code is the asset `<hash>.zip`, staged in the assembly as the folder `asset.<hash>`.
    const assetDir = (resource: (typeof functions)[number]) => path.join(assemblyDir, `asset.${(resource.Properties.Code.S3Key as string).replace(/\.zip$/, '')}`);
    const assetDirs = functions.map(assetDir);
    expect(new Set(assetDirs).size).toBe(functions.length);
    for (const dir of assetDirs) {
      const entry = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
      // Booleans, so that a failure does not print a whole bundle.
      expect(/export\s*\{[^}]*\bas handler\b/.test(entry), `${dir}/index.mjs exports handler`).toBe(true);
      expect(/from\s*"@aws-sdk\//.test(entry), `${dir}/index.mjs imports the SDK as an ES module`).toBe(false);
      expect(/\("@aws-sdk\/client-[a-z-]+"\)/.test(entry), `${dir}/index.mjs requires the SDK`).toBe(true);
      expect(entry.includes('ldapts'), `${dir}/index.mjs carries the LDAP client`).toBe(false);
      expect(loadShippedConfig(path.join(dir, 'lifecycle.json')).rules.length).toBeGreaterThan(0);
      // Loaded as Lambda loads it: from its own folder, the SDK found only through NODE_PATH.
      const load = spawnSync(process.execPath, ['--input-type=module', '-e', "const m = await import('./index.mjs'); console.log(typeof m.handler)"], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, NODE_PATH: path.resolve('node_modules'), AWS_REGION: 'us-east-1', LIFECYCLE_CONFIG: './lifecycle.json' },
      });
      expect(load.stdout.trim(), `${dir}/index.mjs: ${load.stderr}`).toBe('function');
    }
    const rosterSync = functions.find((resource) => /roster/i.test(resource.Properties.Description ?? ''))!;
    const rosterChunks = path.join(assetDir(rosterSync), 'chunks');
    expect(readdirSync(rosterChunks).some((chunk) => chunk.endsWith('.mjs') && readFileSync(path.join(rosterChunks, chunk), 'utf8').includes('ldap'))).toBe(true);
  });

  it('leaves the HR sources out of the cold start of each function that reads no roster; the ingest loads only the source a webhook names', async () => {
    const sourceCode = (input: string) => /^lib\/sources\/[a-z]+\//.test(input);
    for (const name of ['ingest', 'worker', 'sweeper', 'notifier', 'scim', 'rules-deployer']) {
      const { metafile, coldStartFiles } = await bundleHandler(name, mkdtempSync(path.join(tmpdir(), `${name}-`)));
      const atColdStart = coldStartFiles.flatMap((file) => Object.keys(metafile.outputs[file]!.inputs));
      expect(atColdStart.filter(sourceCode), name).toEqual([]);
      if (name !== 'ingest' && name !== 'worker') continue;
      // They load on the path that needs them: the ingest verifies a webhook, the worker fetches a record from its source's API.
      const bamboo = Object.keys(metafile.outputs).find((file) => Object.keys(metafile.outputs[file]!.inputs).includes('lib/sources/bamboohr/bamboohr.ts'));
      expect(bamboo, name).toBeDefined();
      // Each source a chunk of its own (lib/sources/webhook-sources.ts): a BambooHR webhook loads no other source.
      if (name === 'ingest') expect([...loadedWith(metafile, bamboo!)].flatMap((file) => Object.keys(metafile.outputs[file]!.inputs)).filter((input) => sourceCode(input) && !input.startsWith('lib/sources/bamboohr/'))).toEqual([]);
    }
  });

  it('lets only the functions that call Bitwarden read its shared access token', () => {
    const functions = lifecycleFunctions();
    const readsSession = (resource: (typeof functions)[number]) => JSON.stringify(statementsOfRole(template, resource.Properties.Role['Fn::GetAtt'][0])).includes('BitwardenSessionTable');
    const readers = functions.filter(readsSession).map((resource) => resource.Properties.Description as string);
    expect(readers).toHaveLength(4);
    for (const description of readers) expect(description).toMatch(/^(Applies worker events|Enqueues workers whose decision is due|Daily: compares|Writes the config file rules)/);
    for (const resource of functions.filter((candidate) => !readsSession(candidate))) expect(resource.Properties.Description).toMatch(/^(Verifies HRIS webhooks|Serves the SCIM|Reads each source roster|Posts the notifications)/);
  });

  it('runs every handler on Node 22, arm64, with the worker fed by each lane with partial batch failures and its own bounded concurrency', () => {
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } }, 7);
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map((mapping) => mapping.Properties);
    expect(mappings).toHaveLength(2);
    for (const mapping of mappings) expect(mapping).toMatchObject({ FunctionName: { Ref: functionLogicalId(/Applies worker events/) }, FunctionResponseTypes: ['ReportBatchItemFailures'], BatchSize: 10 });
    expect(mappings.map((mapping) => mapping.ScalingConfig.MaximumConcurrency).sort()).toEqual([2, 4]);
  });

  it('runs the reconciliation daily', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(17 3 * * ? *)', Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionLogicalId(/compares HR rosters, stored state and Bitwarden/), 'Arn'] } })] });
  });

  it('runs the sweeper every minute, able only to read workers and guard holds (writing only the shared rate budget and token) and to send to the urgent lane', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)', Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionLogicalId(/Enqueues workers whose decision is due/), 'Arn'] } })] });
    const role = template.findResources('AWS::Lambda::Function')[functionLogicalId(/Enqueues workers whose decision is due/)]!.Properties.Role['Fn::GetAtt'][0];
    const statements = statementsOfRole(template, role);
    const actions = statements.filter((statement) => !/RateBudgetTable|BitwardenSessionTable/.test(JSON.stringify(statement))).flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(action))).toEqual([]);
    expect(JSON.stringify(statements.filter((statement) => [statement.Action].flat().includes('sqs:SendMessage')))).toMatch(/UrgentEventsQueue/);
    expect(JSON.stringify(statements.filter((statement) => [statement.Action].flat().includes('sqs:SendMessage')))).not.toMatch(/WorkerEventsQueue/);
  });

  it('keeps the Bitwarden credentials and the webhook secret in Secrets Manager, passing only their ARNs', () => {
    // The shipped config enables only the generic provider: its webhook secret and Bitwarden's credentials.
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    const worker = template.findResources('AWS::Lambda::Function')[functionLogicalId(/Applies worker events/)]!;
    expect(Object.keys(worker.Properties.Environment.Variables)).toEqual(
      expect.arrayContaining(['BITWARDEN_CREDENTIALS_ARN', 'WORKERS_TABLE', 'RULES_TABLE', 'AUDIT_TABLE', 'LIFECYCLE_CONFIG']),
    );
    expect(JSON.stringify(template.toJSON())).not.toMatch(/clientSecret"\s*:\s*"[^"]/);
  });

  it('writes the rules at deploy time from the config file as an S3 asset', () => {
    template.hasResourceProperties('Custom::LifecycleRules', { ConfigBucket: Match.anyValue(), ConfigKey: Match.stringLikeRegexp('\\.json$'), ConfigHash: Match.anyValue() });
  });

  it('serves POST /webhooks/{provider} from the ingest function\'s URL, throttled by its reserved concurrency, with no API Gateway', () => {
    const ingestId = functionLogicalId(/Verifies HRIS webhooks/);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': [ingestId, 'Arn'] } });
    template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunctionUrl', FunctionUrlAuthType: 'NONE', Principal: '*', FunctionName: { 'Fn::GetAtt': [ingestId, 'Arn'] } });
    // Since October 2025 a public function URL also needs InvokeFunction, granted only through the URL.
    template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', InvokedViaFunctionUrl: true, Principal: '*', FunctionName: { 'Fn::GetAtt': [ingestId, 'Arn'] } });
    expect(template.findResources('AWS::Lambda::Function')[ingestId]!.Properties.ReservedConcurrentExecutions).toBe(ReservedConcurrency.ingest);
    template.hasOutput('WebhookUrl', { Value: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestFunctionUrl'), 'FunctionUrl'] }, 'webhooks/{provider}']] } });
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
  });

  it('lets the ingest function send to the queue, read its secret, and in DynamoDB touch only the deliveries table', () => {
    const ingestRole = template.findResources('AWS::Lambda::Function')[functionLogicalId(/Verifies HRIS webhooks/)]!.Properties.Role['Fn::GetAtt'][0];
    const statements = statementsOfRole(template, ingestRole);
    const actions = statements.flatMap((statement) => statement.Action);
    expect(actions).toEqual(expect.arrayContaining(['sqs:SendMessage', 'secretsmanager:GetSecretValue', 'dynamodb:PutItem']));
    const dynamoResources = JSON.stringify(statements.filter((statement) => [statement.Action].flat().some((action) => action.startsWith('dynamodb:'))).map((statement) => statement.Resource));
    expect(dynamoResources).toMatch(/DeliveriesTable/);
    expect(dynamoResources).not.toMatch(/WorkersTable|RulesTable|AuditTable/);
  });
});

describe('operations', () => {
  it('sends alarms to an encrypted, TLS-only SNS topic: dead letters, oldest message, errors, throttles, 429s, revocation latency, held revocations, drift', () => {
    // CloudWatch alarms cannot publish to a topic under the AWS-managed SNS key: a customer key must let CloudWatch use it.
    const keys = template.findResources('AWS::KMS::Key');
    const [keyId, key] = Object.entries(keys).find(([, candidate]) => JSON.stringify(candidate.Properties.KeyPolicy).includes('cloudwatch.amazonaws.com'))!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']) }));
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) } });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
    const names = alarms.map((alarm) => alarm.AlarmName.replace('hr-bitwarden-lifecycle-dev-', '')).sort();
    expect(names).toEqual([
      'BitwardenThrottling', 'Drift', 'EventsDeadLetters', 'EventsOldestMessage', 'IngestErrors', 'IngestThrottles', 'RevocationLatency', 'RevocationsHeld',
      'ReconcilerErrors', 'ReconcilerThrottles', 'RulesDeployerErrors', 'RulesDeployerThrottles', 'SweeperErrors', 'SweeperThrottles', 'UrgentDeadLetters', 'UrgentOldestMessage', 'WorkerErrors', 'WorkerThrottles', 'RosterCorrections', 'RosterRemovalRefused', 'RosterReadFailed', 'RosterSyncErrors', 'RosterSyncThrottles',
      'ScimErrors', 'ScimThrottles',
    ].sort());
    for (const alarm of alarms) expect(alarm.AlarmActions).toHaveLength(1);
    // A roster that changed Bitwarden where no webhook did, on any day, means webhooks are being lost.
    expect(alarms.find((alarm) => alarm.AlarmName.endsWith('RosterCorrections'))).toMatchObject({ MetricName: 'RosterCorrections', Statistic: 'Sum', Period: 86400, Threshold: 1 });
    expect(alarms.find((alarm) => alarm.AlarmName.endsWith('RevocationLatency'))).toMatchObject({ ExtendedStatistic: 'p99', Threshold: 120000, Namespace: 'HrBitwardenLifecycle' });
    // An endpoint's throttle is a 429 its sender retries: only a sustained one alarms. Any other function's throttle does at once.
    for (const endpoint of ['IngestThrottles', 'ScimThrottles']) expect(alarms.find((alarm) => alarm.AlarmName.endsWith(endpoint))).toMatchObject({ MetricName: 'Throttles', Period: 300, EvaluationPeriods: 3, Threshold: 1 });
    expect(alarms.find((alarm) => alarm.AlarmName.endsWith('WorkerThrottles'))).toMatchObject({ MetricName: 'Throttles', EvaluationPeriods: 1, Threshold: 1 });
  });

  it('has a lifecycle dashboard', () => {
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody);
    for (const title of ['Events in', 'Bitwarden actions by kind', 'Revocation latency (ms)', 'Drift (last reconciliation)', 'Function errors', 'Function throttles']) expect(body).toContain(title);
    // The row of functions shows each one, the SCIM endpoint's among them.
    for (const name of ['Ingest', 'Scim', 'Worker', 'Sweeper', 'RulesDeployer', 'Reconciler', 'RosterSync']) expect(body).toMatch(new RegExp(`label\\W+${name}\\W`));
  });
});

describe('least privilege: what each function may do', () => {
  const permissions = (description: RegExp) => {
    const role = template.findResources('AWS::Lambda::Function')[functionLogicalId(description)]!.Properties.Role['Fn::GetAtt'][0];
    const statements = statementsOfRole(template, role);
    const resources = (prefix: string) => JSON.stringify(statements.filter((statement) => [statement.Action].flat().some((action) => action.startsWith(prefix))).map((statement) => statement.Resource));
    return { actions: new Set(statements.flatMap((statement) => [statement.Action].flat())), resources };
  };

  it('worker: its tables and the Bitwarden credentials; no queue sends', () => {
    const worker = permissions(/Applies worker events/);
    expect(worker.resources('dynamodb:')).toMatch(/WorkersTable/);
    expect(worker.resources('dynamodb:')).toMatch(/GuardTable/);
    expect(worker.resources('dynamodb:')).toMatch(/AuditTable/);
    expect(worker.resources('dynamodb:')).not.toMatch(/DeliveriesTable/);
    expect(worker.resources('secretsmanager:')).toMatch(/BitwardenCredentials/);
    expect(worker.actions.has('sqs:SendMessage')).toBe(false);
    expect(worker.actions.has('sqs:ReceiveMessage')).toBe(true);
  });

  it('ingest: the deliveries table, both lanes, the webhook secrets; never the Bitwarden credentials', () => {
    const ingest = permissions(/Verifies HRIS webhooks/);
    expect(ingest.resources('secretsmanager:')).toMatch(/WebhookSecret/);
    expect(ingest.resources('secretsmanager:')).not.toMatch(/BitwardenCredentials/);
    expect(ingest.resources('sqs:')).toMatch(/UrgentEventsQueue/);
    expect(ingest.resources('sqs:')).toMatch(/WorkerEventsQueue/);
  });

  it('audit: only the worker writes it, and only by PutItem and BatchWriteItem', () => {
    const worker = permissions(/Applies worker events/);
    for (const description of [/Verifies HRIS webhooks/, /Enqueues workers whose decision is due/, /Writes the config file rules/]) expect(permissions(description).resources('dynamodb:')).not.toMatch(/AuditTable/);
    expect(worker.actions.has('dynamodb:BatchWriteItem')).toBe(true);
  });
});

describe('the evidence key', () => {
  it('is an asymmetric P-256 signing key, kept on deletion, named by the output the CLI reads; signing and verifying are separate policies on that key alone', () => {
    template.hasResource('AWS::KMS::Key', { Properties: Match.objectLike({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }), DeletionPolicy: 'Retain' });
    const [keyId] = Object.keys(template.findResources('AWS::KMS::Key', { Properties: { KeySpec: 'ECC_NIST_P256' } }));
    template.hasOutput('EVIDENCEKMSKEYID', { Value: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((policy) => JSON.stringify(policy).includes(keyId!));
    const statements = policies.map((policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown; Effect: string }>);
    expect(statements.map((list) => list.map((statement) => [statement.Action].flat().sort()))).toEqual(
      expect.arrayContaining([[['kms:GetPublicKey', 'kms:Sign']], [['kms:GetPublicKey', 'kms:Verify']]]),
    );
    for (const statement of statements.flat()) expect(statement).toMatchObject({ Effect: 'Allow', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    // No function may sign: only people who export, through the signer policy.
    const rolePolicies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(rolePolicies).not.toContain('kms:Sign');
  });
});

describe('the app: stages and cdk-nag', () => {
  it('synthesizes the prod stage from its own config with zero unsuppressed AWS Solutions findings', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-out-'));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'cdk/app.ts'], { encoding: 'utf8', env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ stage: 'prod' }), CDK_OUTDIR: outdir } });
    expect(result.status).toBe(0);
    const prod = JSON.parse(readFileSync(path.join(outdir, 'HrBitwardenLifecycle-prod.template.json'), 'utf8'));
    expect(prod.Description).toContain('cdk/config/lifecycle.prod.yaml');
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: Array<{ pluginName: string; violations: unknown[]; suppressedViolations?: Array<{ reason?: string }> }> };
    const nag = report.pluginReports.find((plugin) => /AwsSolutions/.test(plugin.pluginName))!;
    expect(nag.violations).toEqual([]);
    expect(nag.suppressedViolations?.length).toBeGreaterThan(0);
    for (const suppressed of nag.suppressedViolations ?? []) expect(JSON.stringify(suppressed)).toMatch(/reason/i);
  }, 60_000);
});

describe('per-provider secrets', () => {
  it('creates a webhook secret per enabled provider, and API credentials for those that fetch and for directories, read by the roster functions', () => {
    const configPath = path.join(mkdtempSync(path.join(tmpdir(), 'providers-')), 'lifecycle.yaml');
    writeFileSync(configPath, 'providers:\n  generic: {}\n  hibob: {}\n  merge: {}\n  entradirectory: { tenantId: contoso.onmicrosoft.com }\n  file: {}\nrules:\n  - id: a\n    groups: [A]\n');
    const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'cdk-out-')), context: { 'aws:cdk:bundling-stacks': [] } });
    const providers = Template.fromStack(new LifecycleStack(app, 'Providers', { config: loadConfigFile(configPath), configPath }));
    // Bitwarden's key, three webhook secrets, API credentials for HiBob, Merge and Entra ID (the directory); none for the roster file.
    providers.resourceCountIs('AWS::SecretsManager::Secret', 1 + 3 + 3);
    const functions = Object.values(providers.findResources('AWS::Lambda::Function')).map((resource) => Object.keys(resource.Properties.Environment?.Variables ?? {}));
    expect(functions).toContainEqual(expect.arrayContaining(['GENERIC_WEBHOOK_SECRET_ARN', 'HIBOB_WEBHOOK_SECRET_ARN', 'MERGE_WEBHOOK_SECRET_ARN']));
    expect(functions).toContainEqual(expect.arrayContaining(['HIBOB_API_CREDENTIALS_ARN', 'MERGE_API_CREDENTIALS_ARN', 'BITWARDEN_CREDENTIALS_ARN']));
    expect(functions.flat()).not.toContain('FILE_API_CREDENTIALS_ARN');
    const rosterSync = Object.values(providers.findResources('AWS::Lambda::Function')).find((resource) => /Reads each source roster/.test(resource.Properties.Description))!;
    expect(rosterSync.Properties.Environment.Variables.ENTRADIRECTORY_API_CREDENTIALS_ARN).toEqual({ Ref: expect.stringMatching(/^EntradirectoryApiCredentials/) });
    expect(Object.keys(providers.findOutputs('EntradirectoryApiCredentialsName'))).toHaveLength(1);
  });
});

describe('cdk synth', () => {
  it('fails on an invalid config file with a message naming the field and line', () => {
    const bad = path.join(mkdtempSync(path.join(tmpdir(), 'bad-config-')), 'lifecycle.yaml');
    writeFileSync(bad, 'rules:\n  - id: engineering\n    match:\n      department: Engineering\n    groups: []\n');
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'cdk/app.ts'], {
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ config: bad }), CDK_OUTDIR: mkdtempSync(path.join(tmpdir(), 'cdk-out-')) },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`Invalid lifecycle config ${bad}`);
    expect(result.stderr).toContain('line 5, rules[0].groups: must name at least one Bitwarden group');
  });
});

describe('the SCIM endpoint', () => {
  it('serves Bitwarden\'s SCIM paths from its function URL, with a key secret per listed identity provider, and only the SCIM, deliveries and rate-budget tables and both lanes', () => {
    const configPath = path.join(mkdtempSync(path.join(tmpdir(), 'scim-')), 'lifecycle.yaml');
    writeFileSync(configPath, 'scim:\n  identityProviders: [okta, entra]\nrules:\n  - id: a\n    groups: [A]\n');
    const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'cdk-out-')), context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = Template.fromStack(new LifecycleStack(app, 'Scim', { config: loadConfigFile(configPath), configPath }));
    stack.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Scim'), 'Arn'] } });
    stack.resourceCountIs('AWS::SecretsManager::Secret', 1 + 1 + 2);
    const [logicalId, scim] = Object.entries(stack.findResources('AWS::Lambda::Function')).find(([, resource]) => /SCIM 2\.0 endpoint/.test(resource.Properties.Description ?? ''))!;
    expect(Object.keys(scim.Properties.Environment.Variables)).toEqual(expect.arrayContaining(['OKTA_SCIM_KEYS_ARN', 'ENTRA_SCIM_KEYS_ARN', 'SCIM_TABLE', 'DELIVERIES_TABLE', 'RATE_BUDGET_TABLE']));
    expect(logicalId).toMatch(/^Scim/);
    expect(scim.Properties.ReservedConcurrentExecutions).toBe(ReservedConcurrency.scim);
    const role = scim.Properties.Role['Fn::GetAtt'][0];
    const statements = statementsOfRole(stack, role);
    const resources = (prefix: string) => JSON.stringify(statements.filter((statement) => [statement.Action].flat().some((action) => action.startsWith(prefix))).map((statement) => statement.Resource));
    expect(resources('dynamodb:')).toMatch(/ScimResourcesTable/);
    expect(resources('dynamodb:')).toMatch(/DeliveriesTable/);
    expect(resources('dynamodb:')).toMatch(/RateBudgetTable/);
    expect(resources('dynamodb:')).not.toMatch(/WorkersTable|RulesTable|AuditTable|GuardTable/);
    expect(resources('secretsmanager:')).toMatch(/OktaScimKeys/);
    expect(resources('secretsmanager:')).toMatch(/EntraScimKeys/);
    expect(resources('secretsmanager:')).not.toMatch(/BitwardenCredentials|WebhookSecret/);
    expect(resources('sqs:')).toMatch(/UrgentEventsQueue/);
    expect(resources('sqs:')).toMatch(/WorkerEventsQueue/);
    expect(new Set(statements.flatMap((statement) => [statement.Action].flat())).has('sqs:ReceiveMessage')).toBe(false);
  });
});
