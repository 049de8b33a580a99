import { BitwardenClient } from '../bitwarden/client.js';
import { loadConfigFile } from '../config/load.js';
import { RevocationGuard } from '../lifecycle/guard.js';
import type { LifecycleConfig, Rule } from '../config/schema.js';
import { allProviders, enabledProviders } from '../hris/registry.js';
import type { IngestDependencies } from '../ingest/receive-webhook.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { enqueueOnce } from '../queue/enqueue-once.js';
import { SqsEventPublisher } from '../queue/publisher.js';
import { Queues } from '../queue/queues.js';
import { AuditLog } from '../store/audit-log.js';
import { RuleStore } from '../store/rule-store.js';
import { tableName, Tables } from '../store/tables.js';
import { WorkerStateStore } from '../store/worker-state.js';
import type { SweepDependencies } from '../lifecycle/sweep.js';
import type { ReconcileDependencies } from '../reconcile/reconcile.js';
import type { DeployDependencies } from '../rules/deploy-rules.js';
import type { SyncDependencies } from '../sync/apply-worker-event.js';
import { GroupDirectoryCache } from '../sync/group-directory.js';
import { documentClient, sqsClient } from './aws.js';
import { Metric, MetricUnit, metrics } from './observability.js';
import { readSecret, splitSecrets } from './secrets.js';

/** How long the organization's size (for the guard's share limit) is trusted. */
const ORGANIZATION_SIZE_MAX_AGE_MS = 10 * 60_000;

/** The mass-revocation guard of the config, sizing the organization through `bitwarden` (for its share limit). */
export function revocationGuard(config: LifecycleConfig, bitwarden: BitwardenClient): RevocationGuard {
  return new RevocationGuard(documentClient(), tableName(Tables.guard), config.policy.massRevocationGuard, cachedOrganizationSize(bitwarden));
}

/** Active members (not revoked), counted at most every ten minutes. */
function cachedOrganizationSize(bitwarden: BitwardenClient): () => Promise<number> {
  let cached: { at: number; size: number } | null = null;
  return async () => {
    if (!cached || Date.now() - cached.at > ORGANIZATION_SIZE_MAX_AGE_MS) {
      const members = await bitwarden.listMembers();
      cached = { at: Date.now(), size: members.filter((member) => member.status !== -1).length };
    }
    return cached.size;
  };
}

/** The config file: `LIFECYCLE_CONFIG`, else the one the stack bundles beside the handler. */
export function loadConfig(): LifecycleConfig {
  return loadConfigFile(process.env.LIFECYCLE_CONFIG ?? 'cdk/config/lifecycle.yaml');
}

function requireEnv(name: string, why: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: ${why}`);
  return value;
}

/** The publisher of both lanes, from EVENTS_QUEUE_URL and URGENT_QUEUE_URL. */
export function eventPublisher(): SqsEventPublisher {
  return new SqsEventPublisher(sqsClient(), {
    events: requireEnv(Queues.events.envVar, 'nothing knows where to enqueue events'),
    urgent: requireEnv(Queues.urgent.envVar, 'nothing knows where to enqueue urgent events'),
  });
}

/** At most one forced re-read per provider a minute: a flood of forged signatures cannot become a flood of Secrets Manager calls. */
const SECRET_REFRESH_INTERVAL_MS = 60_000;

function refreshLimitedSecrets(): IngestDependencies['secretsFor'] {
  const refreshedAt = new Map<string, number>();
  return async (provider, options = {}) => {
    const refresh = options.refresh === true && Date.now() - (refreshedAt.get(provider.name) ?? 0) > SECRET_REFRESH_INTERVAL_MS;
    if (refresh) refreshedAt.set(provider.name, Date.now());
    return splitSecrets(await readSecret(provider.secretEnvVar, { refresh }));
  };
}

export function ingestDependencies(config: LifecycleConfig = loadConfig()): IngestDependencies {
  return {
    providers: enabledProviders(config),
    providerSettings: config.providers,
    secretsFor: refreshLimitedSecrets(),
    enqueueOnce: enqueueOnce(
      eventPublisher(),
      new DynamoDBClient({}),
      tableName(Tables.deliveries),
    ),
    now: () => new Date(),
  };
}

export function bitwardenClient(config: LifecycleConfig): BitwardenClient {
  return new BitwardenClient({
    onResponse: (_operation, status) => {
      if (status === 429) metrics.addMetric(Metric.BitwardenThrottled, MetricUnit.Count, 1);
      else if (status === 0 || status >= 500) metrics.addMetric(Metric.BitwardenErrors, MetricUnit.Count, 1);
    },
    apiUrl: process.env.BITWARDEN_API_URL ?? config.bitwarden.apiUrl,
    identityUrl: process.env.BITWARDEN_IDENTITY_URL ?? process.env.BITWARDEN_API_URL ?? config.bitwarden.identityUrl,
    credentials: async () => {
      // Locally: BITWARDEN_CLIENT_ID / BITWARDEN_CLIENT_SECRET. In AWS: one JSON secret {clientId, clientSecret}.
      if (process.env.BITWARDEN_CLIENT_ID && process.env.BITWARDEN_CLIENT_SECRET) {
        return { clientId: process.env.BITWARDEN_CLIENT_ID, clientSecret: process.env.BITWARDEN_CLIENT_SECRET };
      }
      const secret = JSON.parse(await readSecret('BITWARDEN_CREDENTIALS', { refresh: true })) as { clientId?: string; clientSecret?: string };
      if (!secret.clientId || !secret.clientSecret) throw new Error('the Bitwarden credentials secret must be JSON {"clientId": "organization.<id>", "clientSecret": "..."}');
      return { clientId: secret.clientId, clientSecret: secret.clientSecret };
    },
  });
}

export function syncDependencies(config: LifecycleConfig = loadConfig()): SyncDependencies {
  const db = documentClient();
  const ruleStore = new RuleStore(db, tableName(Tables.rules));
  // The rules are re-read only when a deployment changed them: one item read per message tells.
  let rules: { checksum: string | null; rules: Rule[] } | null = null;
  const bitwarden = bitwardenClient(config);
  return {
    workers: new WorkerStateStore(db, tableName(Tables.workers)),
    audit: new AuditLog(db, tableName(Tables.audit), config.policy.auditRetentionDays),
    rules: async () => {
      const checksum = (await ruleStore.version())?.checksum ?? null;
      if (!rules || rules.checksum !== checksum) rules = { checksum, rules: await ruleStore.list() };
      return rules.rules;
    },
    groups: new GroupDirectoryCache(bitwarden),
    bitwarden,
    guard: revocationGuard(config, bitwarden),
    policy: config.policy,
    onRevokeUnsupported: config.bitwarden.onRevokeUnsupported,
    fetchWorker: async (providerName, workerKey) => {
      const provider = allProviders.find((candidate) => candidate.name === providerName);
      if (!provider?.fetchWorker) throw new Error(`provider "${providerName}" cannot fetch workers`);
      const settings = (config.providers as Record<string, { apiUrl?: string } | undefined>)[providerName];
      const envName = providerName.toUpperCase();
      const apiUrl = process.env[`${envName}_API_URL`] ?? settings?.apiUrl;
      if (!apiUrl) throw new Error(`no API URL for ${providerName}: set providers.${providerName}.apiUrl or ${envName}_API_URL`);
      const credentials = await readSecret(`${envName}_API_CREDENTIALS`);
      return provider.fetchWorker(workerKey, { apiUrl: apiUrl.replace(/\/+$/, ''), credentials, settings: config.providers });
    },
    now: () => new Date(),
  };
}

export function sweepDependencies(config: LifecycleConfig = loadConfig()): SweepDependencies {
  const db = documentClient();
  return {
    workers: new WorkerStateStore(db, tableName(Tables.workers)),
    guard: revocationGuard(config, bitwardenClient(config)),
    publisher: eventPublisher(),
    now: () => new Date(),
  };
}

export function deployDependencies(config: LifecycleConfig = loadConfig()): DeployDependencies {
  const db = documentClient();
  return {
    store: new RuleStore(db, tableName(Tables.rules)),
    workers: new WorkerStateStore(db, tableName(Tables.workers)),
    publisher: eventPublisher(),
    bitwarden: bitwardenClient(config),
    now: () => new Date(),
  };
}

export function reconcileDependencies(config: LifecycleConfig = loadConfig()): ReconcileDependencies {
  const sync = syncDependencies(config);
  return { workers: sync.workers, rules: sync.rules, bitwarden: sync.bitwarden, publisher: eventPublisher(), policy: config.policy, now: () => new Date() };
}
