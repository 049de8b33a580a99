import { BitwardenClient } from '../bitwarden/client.js';
import type { LifecycleConfig } from '../config/schema.js';
import { loadShippedConfig } from '../config/shipped.js';
import { cachedOrganizationSize, RevocationGuard } from '../lifecycle/guard.js';
import type { SweepDependencies } from '../lifecycle/sweep.js';
import { SqsEventPublisher } from '../queue/publisher.js';
import { Queues } from '../queue/queues.js';
import type { ReconcileDependencies } from '../reconcile/reconcile.js';
import type { DeployDependencies } from '../rules/deploy-rules.js';
import { sourceVariable, type FetchContext, type SearchDirectory, type Source, type SourceSettings } from '../sources/source.js';
import { RosterStore } from '../store/roster-store.js';
import { DynamoSharedToken } from '../store/bitwarden-session.js';
import { DynamoRateBudget } from '../store/rate-budget-store.js';
import type { RosterSyncDependencies } from '../roster/sync-roster.js';
import type { ReadRosterPage } from '../sources/roster.js';
import { AuditLog } from '../store/audit-log.js';
import { currentRules, RuleStore } from '../store/rule-store.js';
import { Tables } from '../store/tables.js';
import { WorkerStateStore } from '../store/worker-state.js';
import type { SyncDependencies } from '../sync/apply-worker-event.js';
import { MemberIndex } from '../sync/member-index.js';
import { BulkInviter } from '../sync/bulk-invites.js';
import { PendingInviteStore } from '../store/pending-invites.js';
import { GroupDirectoryCache } from '../sync/group-directory.js';
import type { WorkerRecord } from '../vocabulary/worker-record.js';
import type { ChatKind } from '../notify/chat.js';
import { RecordingNotifier, type Channel, type Notifier } from '../notify/notifier.js';
import { snsChannel } from '../notify/sns.js';
import { NotificationStore } from '../store/notifications.js';
import { documentClient, readObject, snsClient, sqsClient } from './aws.js';
import { queueUrl, tableName, type Environment } from './env.js';
import { logger, Metric, MetricUnit, metrics } from './observability.js';
import { readSecret } from './secrets.js';

/**
 * The composition roots: each builds what one entry point needs (a Lambda handler at cold start,
 * `npm start`, a CLI command) from the environment and the config, through the same factories.
 * A Lambda reads the config `cdk deploy` shipped beside it (JSON); `npm start` and the CLI load the
 * YAML file themselves and pass it in.
 */
export function shippedConfig(env: Environment): LifecycleConfig {
  return loadShippedConfig(env.LIFECYCLE_CONFIG);
}

export function eventPublisher(env: Environment): SqsEventPublisher {
  return new SqsEventPublisher(sqsClient(), { events: queueUrl(env, Queues.events), urgent: queueUrl(env, Queues.urgent) });
}

export function bitwardenClient(env: Environment, config: LifecycleConfig): BitwardenClient {
  const budgetTable = env.variables[Tables.rateBudget.envVar];
  const sessionTable = env.variables[Tables.bitwardenSession.envVar];
  return new BitwardenClient({
    // Every function that calls Bitwarden shares one budget and one token; a process alone (tests of the client) keeps its own.
    sharedBudget: budgetTable ? new DynamoRateBudget(documentClient(), budgetTable) : undefined,
    sharedToken: sessionTable ? new DynamoSharedToken(documentClient(), sessionTable) : undefined,
    // Only Bitwarden's clouds limit the rate (docs/reference/bitwarden-public-api.md §10); the local emulator says whether it plays one.
    rateLimited: config.bitwarden.region !== 'self-hosted' && env.variables.BITWARDEN_RATE_LIMITS !== 'none',
    onResponse: (_operation, status) => {
      if (status === 429) metrics.addMetric(Metric.BitwardenThrottled, MetricUnit.Count, 1);
      else if (status === 0 || status >= 500) metrics.addMetric(Metric.BitwardenErrors, MetricUnit.Count, 1);
    },
    apiUrl: env.BITWARDEN_API_URL ?? config.bitwarden.apiUrl,
    identityUrl: env.BITWARDEN_IDENTITY_URL ?? env.BITWARDEN_API_URL ?? config.bitwarden.identityUrl,
    credentials: async () => {
      // Locally: BITWARDEN_CLIENT_ID / BITWARDEN_CLIENT_SECRET. In AWS: one JSON secret {clientId, clientSecret}.
      if (env.BITWARDEN_CLIENT_ID && env.BITWARDEN_CLIENT_SECRET) return { clientId: env.BITWARDEN_CLIENT_ID, clientSecret: env.BITWARDEN_CLIENT_SECRET };
      const secret = JSON.parse(await readSecret(env, 'BITWARDEN_CREDENTIALS', { refresh: true })) as { clientId?: string; clientSecret?: string };
      if (!secret.clientId || !secret.clientSecret) throw new Error('the Bitwarden credentials secret must be JSON {"clientId": "organization.<id>", "clientSecret": "..."}');
      return { clientId: secret.clientId, clientSecret: secret.clientSecret };
    },
  });
}

/** The mass-revocation guard of the config, sizing the organization through `bitwarden` (for its share limit). */
export function revocationGuard(env: Environment, config: LifecycleConfig, bitwarden: Pick<BitwardenClient, 'listMembers'>): RevocationGuard {
  return new RevocationGuard(documentClient(), tableName(env, Tables.guard), config.policy.massRevocationGuard, cachedOrganizationSize(bitwarden));
}

/** How to call a source's API: the URL from `<NAME>_API_URL` or the source's settings, credentials from `<NAME>_API_CREDENTIALS`. */
function sourceContext(env: Environment, config: LifecycleConfig, source: Source, location?: string, searchDirectory?: SearchDirectory): () => Promise<FetchContext<SourceSettings>> {
  const settings = config.providers[source.name] ?? source.settings.parse({});
  return async () => {
    const apiUrl = location ?? env.variables[sourceVariable(source, 'API_URL')] ?? (settings as { apiUrl?: string }).apiUrl;
    if (!apiUrl) throw new Error(`no API URL for ${source.name}: set providers.${source.name}.apiUrl or ${sourceVariable(source, 'API_URL')}`);
    // A file given by its location (the file source) is read with this process's own rights: no API credentials.
    const credentials = location ? '' : await readSecret(env, sourceVariable(source, 'API_CREDENTIALS'));
    return { apiUrl: apiUrl.replace(/\/+$/, ''), credentials, settings, readObject: (where: string) => readObject(env, where), searchDirectory };
  };
}

/** Reads a worker from its source's API. The sources load on the first read, not at every worker's cold start. */
function sourceFetcher(env: Environment, config: LifecycleConfig) {
  return async (sourceName: string, workerKey: string): Promise<WorkerRecord | null> => {
    const { findConnectedSource } = await import('../sources/connected-sources.js');
    const source = findConnectedSource(sourceName);
    if (!source?.fetchWorker) throw new Error(`source "${sourceName}" cannot fetch workers`);
    return source.fetchWorker(workerKey, await sourceContext(env, config, source)());
  };
}

/**
 * Who is told what needs people (lib/notify): every notification is kept in the notifications table
 * (`lifecycle events` lists it), published to the team's SNS topic where NOTIFICATIONS_TOPIC_ARN names
 * one (AWS), and sent on `channels` (npm start prints them).
 */
export function notifier(env: Environment, channels: readonly Channel[] = []): Notifier {
  const topic = env.variables.NOTIFICATIONS_TOPIC_ARN;
  return new RecordingNotifier(notificationStore(env), [...(topic ? [snsChannel(snsClient(), topic)] : []), ...channels]);
}

export const notificationStore = (env: Environment) => new NotificationStore(documentClient(), tableName(env, Tables.notifications));

/** The chat channels' incoming-webhook URLs: SLACK_WEBHOOK_URL / TEAMS_WEBHOOK_URL, or (AWS) the secrets their _ARN variables name. */
export async function chatWebhooks(env: Environment): Promise<Array<{ kind: ChatKind; url: string }>> {
  const kinds = (['slack', 'teams'] as const).filter((kind) => env.variables[chatVariable(kind)] || env.variables[`${chatVariable(kind)}_ARN`]);
  return Promise.all(kinds.map(async (kind) => ({ kind, url: (await readSecret(env, chatVariable(kind))).trim() })));
}

export const chatVariable = (kind: ChatKind) => `${kind.toUpperCase()}_WEBHOOK_URL`;

export function syncDependencies(env: Environment, config: LifecycleConfig = shippedConfig(env)): SyncDependencies {
  const db = documentClient();
  const bitwarden = bitwardenClient(env, config);
  const members = new MemberIndex(bitwarden);
  const audit = new AuditLog(db, tableName(env, Tables.audit), config.policy.auditRetentionDays);
  const invitesTable = env.variables[Tables.invites.envVar];
  return {
    workers: new WorkerStateStore(db, tableName(env, Tables.workers)),
    audit,
    bulkInvites: invitesTable
      ? new BulkInviter({
          pending: new PendingInviteStore(db, invitesTable),
          bitwarden,
          publisher: eventPublisher(env),
          audit,
          onImportFailed: (error, then) => logger.warn('bulk invitations not imported; they stay queued', { error, then }),
          now: () => new Date(),
        })
      : undefined,
    rules: currentRules(new RuleStore(db, tableName(env, Tables.rules))),
    groups: new GroupDirectoryCache(bitwarden),
    members,
    bitwarden,
    // The guard sizes the organization from the member index: no listing of its own.
    guard: revocationGuard(env, config, members),
    policy: config.policy,
    onRevokeUnsupported: config.bitwarden.onRevokeUnsupported,
    fetchWorker: sourceFetcher(env, config),
    leaseMs: env.WORKER_LEASE_SECONDS * 1000,
    notifier: notifier(env),
    now: () => new Date(),
  };
}

export function sweepDependencies(env: Environment, config: LifecycleConfig = shippedConfig(env)): SweepDependencies {
  return {
    workers: new WorkerStateStore(documentClient(), tableName(env, Tables.workers)),
    guard: revocationGuard(env, config, bitwardenClient(env, config)),
    publisher: eventPublisher(env),
    now: () => new Date(),
  };
}

export function deployDependencies(env: Environment, config: LifecycleConfig = shippedConfig(env)): DeployDependencies {
  const db = documentClient();
  return {
    store: new RuleStore(db, tableName(env, Tables.rules)),
    workers: new WorkerStateStore(db, tableName(env, Tables.workers)),
    publisher: eventPublisher(env),
    bitwarden: bitwardenClient(env, config),
    now: () => new Date(),
  };
}

/**
 * Pages of `source`'s roster, from its API (or, for the file source, from `location`: a path or an S3
 * object); directories are searched with `searchDirectory` (lib/runtime/roster-reader.ts gives it).
 */
export function sourceRosterReader(env: Environment, config: LifecycleConfig, source: Source, location?: string, searchDirectory?: SearchDirectory): ReadRosterPage {
  const context = sourceContext(env, config, source, location, searchDirectory);
  return async (cursor) => source.readRoster!(await context(), cursor);
}

/** One step of a roster read from `readPage` (usually `rosterReader`), within `timeLeft` (a Lambda's remaining time, or unbounded for the CLI). */
export function rosterSyncDependencies(env: Environment, config: LifecycleConfig, readPage: ReadRosterPage, timeLeft: () => number): RosterSyncDependencies {
  return {
    store: new RosterStore(documentClient(), tableName(env, Tables.roster)),
    publisher: eventPublisher(env),
    readPage,
    maxShrink: config.roster.maxShrink,
    now: () => new Date(),
    timeLeft,
  };
}

/** What the reconciliation needs; `rosters` reads each roster source's pages (lib/runtime/roster-reader.ts `rosterReaders`). */
export function reconcileDependencies(env: Environment, config: LifecycleConfig, rosters: ReconcileDependencies['rosters']): ReconcileDependencies {
  const db = documentClient();
  return {
    rosters,
    workers: new WorkerStateStore(db, tableName(env, Tables.workers)),
    rules: currentRules(new RuleStore(db, tableName(env, Tables.rules))),
    bitwarden: bitwardenClient(env, config),
    publisher: eventPublisher(env),
    policy: config.policy,
    notify: { notifier: notifier(env), inviteReminderDays: config.notifications.inviteReminderDays },
    now: () => new Date(),
  };
}
