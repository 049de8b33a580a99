import type { LifecycleConfig } from '../config/schema.js';
import type { IngestDependencies } from '../ingest/receive-webhook.js';
import { enqueueOnce } from '../queue/enqueue-once.js';
import { enabledWebhookSources } from '../sources/webhook-sources.js';
import { Tables } from '../store/tables.js';
import { documentClient } from './aws.js';
import { eventPublisher, shippedConfig } from './dependencies.js';
import { tableName, type Environment } from './env.js';
import { webhookSecrets } from './secrets.js';

/** The ingest's composition root, apart from the others: it loads only the webhook sources enabled, each at its first webhook. */
export function ingestDependencies(env: Environment, config: LifecycleConfig = shippedConfig(env)): IngestDependencies {
  return {
    sources: enabledWebhookSources(config.providers),
    secretsFor: webhookSecrets(env),
    enqueueOnce: enqueueOnce(eventPublisher(env), documentClient(), tableName(env, Tables.deliveries)),
    now: () => new Date(),
  };
}
