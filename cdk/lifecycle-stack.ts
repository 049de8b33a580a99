import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CfnOutput, CustomResource, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AttributeType, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { FunctionUrlAuthType } from 'aws-cdk-lib/aws-lambda';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { BlockPublicAccess, Bucket, BucketEncryption, EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { EmailSubscription, LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { LifecycleConfig } from '../lib/config/schema.js';
import { shipConfig } from '../lib/config/shipped.js';
import { enabledSources, needsApiCredentials } from '../lib/sources/registry.js';
import { Queues, WORKER_TIMEOUT_SECONDS, type Lane, type QueueDefinition } from '../lib/queue/queues.js';
import { Tables, type TableDefinition } from '../lib/store/tables.js';
import { scimKeysVariable } from '../lib/scim/auth.js';
import { ReservedConcurrency } from '../lib/runtime/function-url.js';
import { EvidenceKey } from './evidence-key.js';
import { LifecycleFunction } from './lifecycle-function.js';
import { Operations } from './operations.js';

export interface LifecycleStackProps extends StackProps {
  /** The config as lib/config/validate.ts returned it: shipped to the handlers sealed with its checksum (lib/config/shipped.ts). */
  config: LifecycleConfig;
  /** Its file: the rules deployer reads it (an S3 asset) to write the rules table. */
  configPath: string;
  /** dev, prod, …: names the stack's alarms and dashboard. */
  stage?: string;
}

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

export class LifecycleStack extends Stack {
  readonly tables: Record<keyof typeof Tables, TableV2>;
  readonly queues: Record<Lane, Queue>;
  readonly deadLetterQueues: Partial<Record<Lane, Queue>> = {};
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: LifecycleStackProps) {
    super(scope, id, props);
    // The validated config as the handlers read it: sealed JSON beside each bundle, and the rules deployer's S3 asset.
    const shippedConfigPath = path.join(mkdtempSync(path.join(tmpdir(), 'lifecycle-config-')), 'lifecycle.json');
    writeFileSync(shippedConfigPath, shipConfig(props.config));

    this.tables = Object.fromEntries(Object.entries(Tables).map(([key, definition]) => [key, this.table(definition)])) as Record<keyof typeof Tables, TableV2>;
    this.queues = { events: this.fifoQueue('events'), urgent: this.fifoQueue('urgent') };
    const queueUrls = Object.fromEntries(Object.values(Queues).map((definition, index) => [definition.envVar, Object.values(this.queues)[index]!.queueUrl]));

    const bitwardenCredentials = new Secret(this, 'BitwardenCredentials', {
      description: 'Bitwarden organization API key as JSON {"clientId":"organization.<id>","clientSecret":"..."}; set it after the first deploy.',
      generateSecretString: { secretStringTemplate: JSON.stringify({ clientId: 'organization.SET-ME' }), generateStringKey: 'clientSecret', excludePunctuation: true },
    });
    // One webhook secret per enabled provider; API credentials for those that read an API (events fetched, or a directory's roster).
    const providers = [...enabledSources(props.config.providers).values()].map(({ source }) => source);
    const webhookSecrets = providers.filter((provider) => provider.takesWebhooks !== false).map((provider) => ({
      provider,
      secret: new Secret(this, `${pascal(provider.name)}WebhookSecret`, {
        description: `Webhook signing secret(s) of ${provider.name}; two, space-separated, during a rotation. Set it to the value ${provider.name} shows.`,
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      }),
    }));
    const apiCredentials = providers
      .filter(needsApiCredentials)
      .map((provider) => ({
        provider,
        secret: new Secret(this, `${pascal(provider.name)}ApiCredentials`, { description: `${provider.name} API credentials the product reads records with (format in the README); set after deploy.` }),
      }));

    const ingest = new LifecycleFunction(this, 'Ingest', {
      handler: 'ingest',
      description: 'Verifies HRIS webhooks and enqueues worker events',
      shippedConfigPath,
      timeout: Duration.seconds(10),
      // Its throttle (lib/runtime/function-url.ts): beyond it a request is answered 429, and a flood on the public URL cannot take the workers' concurrency.
      reservedConcurrentExecutions: ReservedConcurrency.ingest,
      environment: {
        ...queueUrls,
        ...Object.fromEntries(webhookSecrets.map(({ provider, secret }) => [`${provider.secretEnvVar}_ARN`, secret.secretArn])),
      },
    });
    for (const { secret } of webhookSecrets) secret.grantRead(ingest);
    for (const queue of Object.values(this.queues)) queue.grantSendMessages(ingest);
    ingest.addEnvironment(Tables.deliveries.envVar, this.tables.deliveries.tableName);
    this.tables.deliveries.grantReadWriteData(ingest);

    // The SCIM endpoint identity providers push to (lib/scim/service.ts): one key secret per provider the config lists.
    const scimKeys = props.config.scim.identityProviders.map((provider) => ({
      provider,
      secret: new Secret(this, `${pascal(provider)}ScimKeys`, {
        description: `SCIM API key(s) of ${provider}; two, space-separated, during a rotation. Paste it into ${provider}'s Bitwarden app as the SCIM API key.`,
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      }),
    }));
    const scim = new LifecycleFunction(this, 'Scim', {
      handler: 'scim',
      description: 'Serves the SCIM 2.0 endpoint identity providers push users and groups to, and enqueues worker events',
      shippedConfigPath,
      timeout: Duration.seconds(10),
      reservedConcurrentExecutions: ReservedConcurrency.scim,
      environment: {
        ...queueUrls,
        ...Object.fromEntries(scimKeys.map(({ provider, secret }) => [`${scimKeysVariable(provider)}_ARN`, secret.secretArn])),
        [Tables.scim.envVar]: this.tables.scim.tableName,
        [Tables.deliveries.envVar]: this.tables.deliveries.tableName,
        [Tables.rateBudget.envVar]: this.tables.rateBudget.tableName,
      },
    });
    for (const { secret } of scimKeys) secret.grantRead(scim);
    for (const queue of Object.values(this.queues)) queue.grantSendMessages(scim);
    this.tables.scim.grantReadWriteData(scim);
    this.tables.deliveries.grantReadWriteData(scim);
    // Each key's request budget lives in the shared rate-budget table (lib/scim/auth.ts).
    this.tables.rateBudget.grantReadWriteData(scim);

    const worker = new LifecycleFunction(this, 'Worker', {
      handler: 'worker',
      description: 'Applies worker events to Bitwarden: decide, plan, execute, audit',
      shippedConfigPath,
      timeout: Duration.seconds(WORKER_TIMEOUT_SECONDS),
      environment: {
        ...Object.fromEntries(Object.entries(Tables).map(([key, definition]) => [definition.envVar, this.tables[key as keyof typeof Tables].tableName])),
        BITWARDEN_CREDENTIALS_ARN: bitwardenCredentials.secretArn,
        ...Object.fromEntries(apiCredentials.map(({ provider, secret }) => [`${provider.name.toUpperCase()}_API_CREDENTIALS_ARN`, secret.secretArn])),
      },
    });
    for (const { secret } of apiCredentials) secret.grantRead(worker);
    this.tables.workers.grantReadWriteData(worker);
    this.tables.guard.grantReadWriteData(worker);
    this.tables.audit.grantWriteData(worker);
    this.tables.rules.grantReadData(worker);
    this.tables.invites.grantReadWriteData(worker);
    this.shareBitwarden(worker);
    bitwardenCredentials.grantRead(worker);
    // One mapping per lane, each with its own concurrency: a backlog of hires cannot take the urgent lane's workers.
    worker.addEventSource(new SqsEventSource(this.queues.events, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: Queues.events.maxConcurrency }));
    worker.addEventSource(new SqsEventSource(this.queues.urgent, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: Queues.urgent.maxConcurrency }));

    const sweeper = new LifecycleFunction(this, 'Sweeper', {
      handler: 'sweeper',
      description: 'Enqueues workers whose decision is due (end dates, future terminations and hires) and released guard holds',
      shippedConfigPath,
      timeout: Duration.seconds(50),
      environment: {
        ...queueUrls,
        [Tables.workers.envVar]: this.tables.workers.tableName,
        [Tables.guard.envVar]: this.tables.guard.tableName,
        BITWARDEN_CREDENTIALS_ARN: bitwardenCredentials.secretArn,
      },
    });
    this.tables.workers.grantReadData(sweeper);
    this.tables.guard.grantReadData(sweeper);
    bitwardenCredentials.grantRead(sweeper);
    this.shareBitwarden(sweeper);
    this.queues.urgent.grantSendMessages(sweeper);
    new Rule(this, 'SweepEveryMinute', { schedule: Schedule.rate(Duration.minutes(1)), targets: [new LambdaFunction(sweeper, { retryAttempts: 2 })] });

    const rosterSources = apiCredentials.filter(({ provider }) => provider.readRoster);
    const rosterCredentials = Object.fromEntries(rosterSources.map(({ provider, secret }) => [`${provider.name.toUpperCase()}_API_CREDENTIALS_ARN`, secret.secretArn]));
    const reconciler = new LifecycleFunction(this, 'Reconciler', {
      handler: 'reconciler',
      description: 'Daily: compares HR rosters, stored state and Bitwarden, publishes drift, corrects it when the policy says apply',
      shippedConfigPath,
      timeout: Duration.minutes(10),
      environment: {
        ...queueUrls,
        ...rosterCredentials,
        [Tables.workers.envVar]: this.tables.workers.tableName,
        [Tables.rules.envVar]: this.tables.rules.tableName,
        BITWARDEN_CREDENTIALS_ARN: bitwardenCredentials.secretArn,
      },
    });
    this.tables.workers.grantReadData(reconciler);
    this.tables.rules.grantReadData(reconciler);
    bitwardenCredentials.grantRead(reconciler);
    this.shareBitwarden(reconciler);
    for (const { secret } of rosterSources) secret.grantRead(reconciler);
    for (const queue of Object.values(this.queues)) queue.grantSendMessages(reconciler);
    new Rule(this, 'ReconcileDaily', { schedule: Schedule.cron({ minute: '17', hour: '3' }), targets: [new LambdaFunction(reconciler, { retryAttempts: 2 })] });

    // Every enabled source that can list its roster is read on a schedule: webhooks are lossy (docs/design.md, decision 11).
    const rosterSync = new LifecycleFunction(this, 'RosterSync', {
      handler: 'roster-sync',
      description: 'Reads each source roster when due (resuming a read in progress) and sends only the changes to the worker lanes',
      shippedConfigPath,
      timeout: Duration.minutes(15),
      environment: {
        ...queueUrls,
        [Tables.roster.envVar]: this.tables.roster.tableName,
        ...rosterCredentials,
      },
    });
    this.tables.roster.grantReadWriteData(rosterSync);
    for (const { secret } of rosterSources) secret.grantRead(rosterSync);
    for (const queue of Object.values(this.queues)) queue.grantSendMessages(rosterSync);
    // A tick, not the interval: each source's read is due per roster.intervalMinutes, and a long read resumes at the next tick.
    new Rule(this, 'RosterTick', { schedule: Schedule.rate(Duration.minutes(5)), targets: [new LambdaFunction(rosterSync, { retryAttempts: 0 })] });
    // Where an HR system without an API drops its export: an object created under roster/ is read as the file source's roster.
    const rosterBucket = new Bucket(this, 'RosterDrops', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // Exports hold personal data: kept long enough to audit a sync, not forever.
      lifecycleRules: [{ expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(30) }],
    });
    rosterSync.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [rosterBucket.arnForObjects('roster/*')] }));
    Validations.of(rosterSync.role!).acknowledge({ id: 'AwsSolutions::AwsSolutions-IAM5[Resource::<RosterDrops6DFBBBC8.Arn>/roster/*]', reason: 'Read-only: the HR exports dropped under roster/, whatever their names.' });
    rosterBucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(rosterSync), { prefix: 'roster/' });
    const notifications = this.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (notifications) {
      Validations.of(notifications).acknowledge(
        { id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: 'CDK owns the function that configures bucket notifications, and its role.' },
        { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', reason: 'CDK’s bucket-notification function: s3:PutBucketNotification has no narrower resource at deploy time.' },
      );
    }
    Validations.of(rosterBucket).acknowledge({ id: 'AwsSolutions::AwsSolutions-S1', reason: 'The bucket receives HR exports from one writer; reads are by the roster function only. Object-level access is audited by CloudTrail data events where the account enables them, rather than a second log bucket.' });
    new CfnOutput(this, 'RosterBucket', { value: rosterBucket.bucketName, description: 'Drop HR exports (CSV or JSON) under roster/ to sync them' });

    // The rules reach the table at deploy time, from the config file shipped as an S3 asset.
    const configAsset = new Asset(this, 'ConfigFile', { path: shippedConfigPath });
    const rulesDeployer = new LifecycleFunction(this, 'RulesDeployer', {
      handler: 'rules-deployer',
      description: 'Writes the config file rules to the rules table on deploy',
      shippedConfigPath,
      timeout: Duration.minutes(5),
      environment: {
        ...queueUrls,
        [Tables.rules.envVar]: this.tables.rules.tableName,
        [Tables.workers.envVar]: this.tables.workers.tableName,
        BITWARDEN_CREDENTIALS_ARN: bitwardenCredentials.secretArn,
      },
    });
    this.tables.rules.grantReadWriteData(rulesDeployer);
    // It reads the workers to re-evaluate exactly those a changed rule matches, on the normal lane.
    this.tables.workers.grantReadData(rulesDeployer);
    this.queues.events.grantSendMessages(rulesDeployer);
    bitwardenCredentials.grantRead(rulesDeployer);
    this.shareBitwarden(rulesDeployer);
    configAsset.grantRead(rulesDeployer);
    const rulesProvider = new Provider(this, 'RulesProvider', { onEventHandler: rulesDeployer });
    Validations.of(rulesProvider).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: 'The CDK provider framework owns this function and its role.' },
      { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::<RulesDeployer81E7247B.Arn>:*]', reason: 'The provider framework invokes any version of the rules deployer function, and only it.' },
      { id: 'AwsSolutions::AwsSolutions-L1', reason: 'The CDK provider framework chooses its own runtime.' },
    );
    Validations.of(rulesDeployer.role!).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: 'Asset.grantRead: read-only access to the CDK asset that holds the config file.' },
      { id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:GetObject*]', reason: 'Asset.grantRead: read-only access to the CDK asset that holds the config file.' },
      { id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:List*]', reason: 'Asset.grantRead: read-only access to the CDK asset that holds the config file.' },
      { id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]', reason: 'Objects of the bootstrap asset bucket, read-only: the config file is one of them.' },
    );
    new CustomResource(this, 'Rules', {
      serviceToken: rulesProvider.serviceToken,
      resourceType: 'Custom::LifecycleRules',
      // The asset hash changes with the file, so an unchanged file triggers no update.
      properties: { ConfigBucket: configAsset.s3BucketName, ConfigKey: configAsset.s3ObjectKey, ConfigHash: configAsset.assetHash },
    });

    // Webhooks and SCIM pushes reach their functions through Lambda function URLs, not an API Gateway
    // (docs/design.md, decision 19): every request is authenticated in the handler, by its provider's
    // HMAC signature or SCIM key, before anything is enqueued; reserved concurrency is the throttle.
    const webhookUrl = ingest.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    // Bitwarden's SCIM paths, so that an identity provider's Bitwarden app needs only a new URL and key.
    const scimUrl = scim.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });

    for (const secret of [bitwardenCredentials, ...webhookSecrets.map((entry) => entry.secret), ...apiCredentials.map((entry) => entry.secret), ...scimKeys.map((entry) => entry.secret)]) {
      Validations.of(secret).acknowledge({ id: 'AwsSolutions::AwsSolutions-SMG4', reason: 'Third-party keys (Bitwarden organization API key, HR webhook and API secrets, SCIM keys pasted into an identity provider) are held by those systems too; no Lambda can rotate them there. The runbook describes rotating them by hand, with two secrets accepted at once.' });
    }
    for (const fn of [worker, sweeper, rulesDeployer, reconciler]) {
      Validations.of(fn.role!).acknowledge({ id: 'AwsSolutions::AwsSolutions-IAM5[Resource::<WorkersTable340B1E00.Arn>/index/*]', reason: 'The workers table’s own indexes (the sparse due index), granted with the table.' });
    }

    this.operations = new Operations(this, 'Operations', {
      stage: props.stage ?? 'dev',
      serviceName: 'hr-bitwarden-lifecycle',
      functions: { Ingest: ingest, Scim: scim, Worker: worker, Sweeper: sweeper, RulesDeployer: rulesDeployer, Reconciler: reconciler, RosterSync: rosterSync },
      endpoints: ['Ingest', 'Scim'],
      lanes: [
        { name: 'Urgent', queue: this.queues.urgent, deadLetterQueue: this.deadLetterQueues.urgent!, maxAge: Duration.minutes(5) },
        { name: 'Events', queue: this.queues.events, deadLetterQueue: this.deadLetterQueues.events!, maxAge: Duration.minutes(30) },
      ],
    });

    this.notifications(props, shippedConfigPath, { worker, reconciler });

    // What the admin CLI reads with `npx lifecycle --stack NAME` (lib/cli/stack-target.ts).
    for (const [key, definition] of Object.entries(Tables)) new CfnOutput(this, definition.envVar, { value: this.tables[key as keyof typeof Tables].tableName });
    for (const [lane, definition] of Object.entries(Queues)) {
      new CfnOutput(this, definition.envVar, { value: this.queues[lane as Lane].queueUrl });
      new CfnOutput(this, definition.deadLetterEnvVar, { value: this.deadLetterQueues[lane as Lane]!.queueUrl });
    }
    new EvidenceKey(this, 'Evidence');
    new CfnOutput(this, 'AlarmTopic', { value: this.operations.topic.topicArn, description: 'Subscribe the team (e-mail, chat, pager) to the alarms' });
    new CfnOutput(this, 'WebhookUrl', { value: `${webhookUrl.url}webhooks/{provider}`, description: 'Register this URL in the HR system (replace {provider}, e.g. generic)' });
    new CfnOutput(this, 'BitwardenCredentialsSecret', { value: bitwardenCredentials.secretName });
    for (const { provider, secret } of webhookSecrets) new CfnOutput(this, `${pascal(provider.name)}WebhookSecretName`, { value: secret.secretName });
    for (const { provider, secret } of apiCredentials) new CfnOutput(this, `${pascal(provider.name)}ApiCredentialsName`, { value: secret.secretName });
    new CfnOutput(this, 'ScimUrl', { value: `${scimUrl.url}v2/{organizationId}`, description: 'The SCIM URL for an identity provider\'s Bitwarden app (replace {organizationId} with the Bitwarden organization id)' });
    for (const { provider, secret } of scimKeys) new CfnOutput(this, `${pascal(provider)}ScimKeysName`, { value: secret.secretName });
  }

  /**
   * Notifications reach people through the alarm topic (one key, one place to subscribe: docs/design.md,
   * "Notifications"): the config's e-mail addresses are subscribed, the worker (held changes, dead
   * letters) and the reconciler (drift, invitations not accepted) publish to it and keep each in the
   * notifications table, and a small function posts everything on the topic to Slack or Teams.
   */
  private notifications(props: LifecycleStackProps, shippedConfigPath: string, publishers: { worker: LifecycleFunction; reconciler: LifecycleFunction }): void {
    const { topic } = this.operations;
    const settings = props.config.notifications;
    for (const address of settings.email) topic.addSubscription(new EmailSubscription(address));
    for (const fn of Object.values(publishers)) {
      topic.grantPublish(fn);
      Validations.of(fn.role!).acknowledge({ id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', reason: "Topic.grantPublish on the topic's own key, and only it: SNS needs a fresh data key for each message it encrypts." });
      fn.addEnvironment('NOTIFICATIONS_TOPIC_ARN', topic.topicArn);
      fn.addEnvironment(Tables.notifications.envVar, this.tables.notifications.tableName);
      this.tables.notifications.grantReadWriteData(fn);
    }
    const chats = (['slack', 'teams'] as const).filter((kind) => settings[kind]);
    if (chats.length === 0) return;
    const notifier = new LifecycleFunction(this, 'Notifier', {
      handler: 'notifier',
      description: 'Posts the notifications and alarms of the SNS topic to Slack or Teams incoming webhooks',
      shippedConfigPath,
      timeout: Duration.seconds(30),
    });
    for (const kind of chats) {
      const secret = Secret.fromSecretCompleteArn(this, `${pascal(kind)}WebhookUrl`, settings[kind]!);
      notifier.addEnvironment(`${kind.toUpperCase()}_WEBHOOK_URL_ARN`, secret.secretArn);
      secret.grantRead(notifier);
    }
    topic.addSubscription(new LambdaSubscription(notifier));
    this.operations.watch('Notifier', notifier);
  }

  /**
   * Every function that calls Bitwarden draws from the one rate budget (lib/store/rate-budget-store.ts),
   * so that together they stay under its limits, and uses the one access token (lib/store/bitwarden-session.ts),
   * which no other function can read.
   */
  private shareBitwarden(fn: LifecycleFunction): void {
    for (const table of ['rateBudget', 'bitwardenSession'] as const) {
      fn.addEnvironment(Tables[table].envVar, this.tables[table].tableName);
      this.tables[table].grantReadWriteData(fn);
    }
  }

  /** On-demand, encrypted, point-in-time recovery, and kept when the stack is deleted. */
  private table(definition: TableDefinition): TableV2 {
    return new TableV2(this, `${definition.id}Table`, {
      partitionKey: { name: definition.partitionKey, type: AttributeType.STRING },
      ...(definition.sortKey ? { sortKey: { name: definition.sortKey, type: AttributeType.STRING } } : {}),
      ...(definition.timeToLiveAttribute ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
      globalSecondaryIndexes: definition.indexes?.map((index) => ({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.KEYS_ONLY,
      })),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** FIFO with high throughput (per-group), encrypted, TLS only, with a FIFO dead-letter queue. */
  private fifoQueue(lane: Lane): Queue {
    const definition: QueueDefinition = Queues[lane];
    const common = { fifo: true, encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) } as const;
    const deadLetterQueue = new Queue(this, `${definition.id}Dlq`, common);
    this.deadLetterQueues[lane] = deadLetterQueue;
    return new Queue(this, `${definition.id}Queue`, {
      ...common,
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
    });
  }
}
