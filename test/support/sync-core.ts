import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import type { BitwardenClient } from '../../lib/bitwarden/client.js';
import type { Policy, Rule } from '../../lib/config/schema.js';
import { RevocationGuard } from '../../lib/lifecycle/guard.js';
import { createTables } from '../../lib/local/bootstrap.js';
import { randomPrefix } from '../../lib/local/runtime.js';
import { documentClient } from '../../lib/runtime/aws.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { AuditLog } from '../../lib/store/audit-log.js';
import { Tables } from '../../lib/store/tables.js';
import { WorkerStateStore } from '../../lib/store/worker-state.js';
import type { SyncDependencies } from '../../lib/sync/apply-worker-event.js';
import { GroupDirectoryCache } from '../../lib/sync/group-directory.js';
import { MemberIndex } from '../../lib/sync/member-index.js';

/** Tables of their own in the global setup's DynamoDB Local, for a test that drives the worker's core without the local runtime. */
export async function freshTables(): Promise<void> {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('endpoints').dynamodb;
  Object.assign(process.env, await createTables(new DynamoDBClient({}), randomPrefix()));
}

/**
 * The worker's core (lib/sync/apply-worker-event.ts) over those tables and a Bitwarden client, as
 * the worker handler composes it, with the guard off and records carried by the events.
 */
export function syncCore(bitwarden: BitwardenClient, options: { rules: Rule[]; policy: Policy; now(): Date; audit?: AuditLog }): SyncDependencies {
  const db = documentClient();
  const env = readEnvironment();
  return {
    workers: new WorkerStateStore(db, tableName(env, Tables.workers)),
    audit: options.audit ?? new AuditLog(db, tableName(env, Tables.audit)),
    rules: async () => options.rules,
    groups: new GroupDirectoryCache(bitwarden),
    members: new MemberIndex(bitwarden),
    leaseMs: 60_000,
    bitwarden,
    guard: new RevocationGuard(db, tableName(env, Tables.guard), null, async () => 1),
    policy: options.policy,
    onRevokeUnsupported: 'fail',
    fetchWorker: async () => {
      throw new Error('records are carried by the events');
    },
    now: options.now,
  };
}
