/**
 * The DynamoDB tables, defined once: the CDK stack builds them from these definitions and the
 * local runtime creates them in DynamoDB Local from the same ones.
 */
export interface TableDefinition {
  /** Logical id in the stack and default name prefix locally. */
  id: string;
  /** The environment variable that carries the table name to the handlers. */
  envVar: string;
  partitionKey: string;
  sortKey?: string;
  /** Items carry an epoch-seconds expiry here (the audit retention). */
  timeToLiveAttribute?: string;
  /** Global secondary indexes (keys only: readers fetch what they need by key). */
  indexes?: ReadonlyArray<{ name: string; partitionKey: string; sortKey: string }>;
}

/** The sweeper's index: only workers with a pending re-evaluation carry its keys (a sparse index, no scans). */
export const DUE_INDEX = { name: 'due', partitionKey: 'dueShard', sortKey: 'reevaluateAt' } as const;

/** Which worker a Bitwarden member is linked to, so that no e-mail ever links it to a second one (sparse: linked workers only). */
export const MEMBER_INDEX = { name: 'member', partitionKey: 'memberId', sortKey: 'workerKey' } as const;

export const Tables = {
  /** One item per worker: newest HR record, last applied event, linked member id, desired state. */
  workers: { id: 'Workers', envVar: 'WORKERS_TABLE', partitionKey: 'workerKey', indexes: [DUE_INDEX, MEMBER_INDEX] },
  /** One item per rule of the config file (written at deploy time, read by the worker). */
  rules: { id: 'Rules', envVar: 'RULES_TABLE', partitionKey: 'ruleId' },
  /** Append-only: every action applied, planned or skipped, per worker in time order. */
  audit: { id: 'Audit', envVar: 'AUDIT_TABLE', partitionKey: 'workerKey', sortKey: 'sk', timeToLiveAttribute: 'expiresAt' },
  /** The mass-revocation guard: recent revocations, held workers, approvals. */
  guard: { id: 'Guard', envVar: 'GUARD_TABLE', partitionKey: 'pk', sortKey: 'sk', timeToLiveAttribute: 'expiresAt' },
  /** What each source's roster held at its last read (a hash per worker), and the read in progress (its cursor and lock). */
  roster: { id: 'Roster', envVar: 'ROSTER_TABLE', partitionKey: 'sourceName', sortKey: 'workerKey' },
  /** Bitwarden's rate limits as one schedule per counter, shared by every invocation (lib/store/rate-budget-store.ts). */
  rateBudget: { id: 'RateBudget', envVar: 'RATE_BUDGET_TABLE', partitionKey: 'counter' },
  /**
   * The Bitwarden access token every invocation uses (lib/store/bitwarden-session.ts), so that a dozen
   * containers ask Bitwarden for one token an hour, not one each: 10 token requests a minute is the limit.
   * Only the functions that call Bitwarden may read it.
   */
  bitwardenSession: { id: 'BitwardenSession', envVar: 'BITWARDEN_SESSION_TABLE', partitionKey: 'id', timeToLiveAttribute: 'expiresAtSeconds' },
  /** Invitations waiting for the next bulk import (lib/store/pending-invites.ts), one item per worker. */
  invites: { id: 'Invites', envVar: 'INVITES_TABLE', partitionKey: 'batch', sortKey: 'workerKey' },
  /** What people were told (lib/store/notifications.ts): `lifecycle events` lists it; and how long one cause stays told. */
  notifications: { id: 'Notifications', envVar: 'NOTIFICATIONS_TABLE', partitionKey: 'pk', sortKey: 'sk', timeToLiveAttribute: 'expiresAt' },
  /** What identity providers pushed over SCIM (lib/store/scim-resources.ts): users and groups, per provider. */
  scim: { id: 'ScimResources', envVar: 'SCIM_TABLE', partitionKey: 'scope', sortKey: 'resourceKey' },
  /** Deliveries already accepted (lib/queue/enqueue-once.ts), so a replay enqueues nothing. */
  deliveries: { id: 'Deliveries', envVar: 'DELIVERIES_TABLE', partitionKey: 'id', timeToLiveAttribute: 'expiration' },
} as const satisfies Record<string, TableDefinition>;
