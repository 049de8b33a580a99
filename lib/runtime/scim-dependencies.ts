import { randomUUID } from 'node:crypto';
import type { LifecycleConfig } from '../config/schema.js';
import { enqueueOnce } from '../queue/enqueue-once.js';
import { scimKeysVariable, scimPace } from '../scim/auth.js';
import type { ScimDependencies } from '../scim/service.js';
import { DynamoRateBudget } from '../store/rate-budget-store.js';
import { scimResourceStore } from '../store/scim-resources.js';
import { Tables } from '../store/tables.js';
import { documentClient } from './aws.js';
import { eventPublisher, shippedConfig } from './dependencies.js';
import { tableName, type Environment } from './env.js';
import { splitSecrets, webhookSecrets } from './secrets.js';

/** The SCIM endpoint's composition root: its keys read like webhook secrets (a variable, or its `_ARN` in AWS), rotation included. */
export function scimDependencies(env: Environment, config: LifecycleConfig = shippedConfig(env)): ScimDependencies {
  const db = documentClient();
  const secrets = webhookSecrets(env);
  return {
    providers: config.scim.identityProviders,
    keysFor: (provider, options) => secrets({ name: `scim:${provider}`, secretEnvVar: scimKeysVariable(provider) }, options).then((keys) => keys.flatMap(splitSecrets)),
    budget: new DynamoRateBudget(db, tableName(env, Tables.rateBudget)),
    pace: scimPace(config.scim.requestsPerMinute),
    store: scimResourceStore(db, tableName(env, Tables.scim)),
    enqueueOnce: enqueueOnce(eventPublisher(env), db, tableName(env, Tables.deliveries)),
    now: () => new Date(),
    newId: randomUUID,
  };
}
