import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WorkerRecord } from '../vocabulary/worker-record.js';
import type { DesiredState } from '../policy/decide.js';
import { queryAll, scanAll, writeUnlessRefused } from './dynamo.js';
import { DUE_INDEX, MEMBER_INDEX } from './tables.js';

/** What the product remembers about one worker between events. */
export interface WorkerState {
  workerKey: string;
  /** Optimistic lock: each save must name the version it read. */
  version: number;
  provider: string;
  /** `occurredAt` of the newest applied event; older events are stale and dropped. */
  lastEventAt: string;
  lastDeliveryId: string;
  /** Hash of the newest record, so a second delivery of the same change is recognized. */
  recordHash: string;
  record: WorkerRecord;
  /** The Bitwarden member this worker is linked to (by externalId or, once, by e-mail). */
  memberId: string | null;
  access: DesiredState['access'];
  groups: string[];
  /** When the member was revoked (kept while it stays revoked). */
  revokedAt: string | null;
  /** When the product invited the member (to find invitations never accepted). */
  invitedAt: string | null;
  /** When its invitation was queued for a bulk import (lib/sync/bulk-invites.ts); null once it was sent or withdrawn. */
  inviteQueuedAt?: string | null;
  /** When the product last wrote the member (the member index compares its listing with it: lib/sync/member-index.ts). */
  memberWrittenAt?: string | null;
  /** A revocation the mass-revocation guard holds for approval. */
  heldByGuard: boolean;
  reevaluateAt: string | null;
  updatedAt: string;
}

/** A worker held by one invocation: its state as the lease read it, and the release (not needed after a save, which clears the lease). */
export interface Lease {
  state: WorkerState | null;
  release(): Promise<void>;
}

/** An item holding only a lease is not a state yet; the sparse-index attributes are absent rather than null. */
function asState(item: Record<string, unknown> | undefined): WorkerState | null {
  if (!item || !('version' in item)) return null;
  const { leaseHolder: _holder, leaseUntil: _until, dueShard: _shard, ...state } = item;
  return { ...(state as unknown as WorkerState), reevaluateAt: (item.reevaluateAt as string | undefined) ?? null, memberId: (item.memberId as string | undefined) ?? null };
}

export class StaleStateError extends Error {
  override readonly name = 'StaleStateError';
  constructor(workerKey: string) {
    super(`worker ${workerKey} was changed by another writer; the event will be retried`);
  }
}

/** Another lane still held this worker after lease() waited for it; the worker handler retries the message within seconds. */
export class WorkerBusyError extends Error {
  override readonly name = 'WorkerBusyError';
  constructor(workerKey: string) {
    super(`worker ${workerKey} is being processed by another lane; the event will be retried`);
  }
}

/**
 * How long lease() waits, at most, for the other lane to release a worker: that lane applies one
 * event in well under a second, and the wait must leave most of the worker's 30 s timeout
 * (lib/queue/queues.ts WORKER_TIMEOUT_SECONDS) to the event itself. The caller can ask for less.
 */
const LEASE_WAIT_MS = 10_000;
const LEASE_POLL_MS = 200;

const DUE_SHARD = 'due';

export class WorkerStateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(workerKey: string): Promise<WorkerState | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { workerKey }, ConsistentRead: true }));
    return asState(Item);
  }

  /**
   * Takes the worker for `ttlMs`: FIFO orders one lane, but the normal and urgent lanes can hold
   * the same worker at once, and a stale restore must never run after a revoke. While the other
   * lane holds it, waits (up to LEASE_WAIT_MS) rather than failing the message at once, which would
   * cost it one of its receives, but not past `waitMs`. Returns a release.
   */
  async lease(workerKey: string, now: Date, ttlMs: number, waitMs = LEASE_WAIT_MS): Promise<Lease> {
    const holder = randomUUID();
    const started = performance.now();
    // The caller's clock, moved on by the time waited, so that a crashed holder's expired lease is taken over.
    const waited = () => Math.round(performance.now() - started);
    let item: Record<string, unknown> | false;
    while (!(item = await this.tryLease(workerKey, holder, now.getTime() + waited(), ttlMs))) {
      if (waited() + LEASE_POLL_MS > Math.min(waitMs, LEASE_WAIT_MS)) throw new WorkerBusyError(workerKey);
      await sleep(LEASE_POLL_MS);
    }
    return { state: asState(item), release: async () => {
      await writeUnlessRefused(this.db.send(new UpdateCommand({ TableName: this.table, Key: { workerKey }, UpdateExpression: 'REMOVE leaseHolder, leaseUntil', ConditionExpression: 'leaseHolder = :holder', ExpressionAttributeValues: { ':holder': holder } })));
    } };
  }

  /** One attempt at the lease: the worker's item as leased, or false while another holder's lease runs at `at` (epoch ms). */
  private async tryLease(workerKey: string, holder: string, at: number, ttlMs: number): Promise<Record<string, unknown> | false> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { workerKey },
          UpdateExpression: 'SET leaseHolder = :holder, leaseUntil = :until',
          ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
          ExpressionAttributeValues: { ':holder': holder, ':until': at + ttlMs, ':now': at },
          // The lease's write reads the state too: no read of its own.
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ?? {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Writes `state` as version `previous + 1` (clearing any lease); fails if someone saved since `previous` was read. */
  async save(state: Omit<WorkerState, 'version'>, previousVersion: number | null): Promise<WorkerState> {
    const next = { ...state, version: (previousVersion ?? 0) + 1 };
    // Index keys cannot be null: only a worker with a re-evaluation pending, or a linked member, carries them (sparse indexes).
    const { reevaluateAt, memberId, ...rest } = next;
    const item = { ...rest, ...(reevaluateAt ? { reevaluateAt, dueShard: DUE_SHARD } : {}), ...(memberId ? { memberId } : {}) };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ...(previousVersion === null
            ? { ConditionExpression: 'attribute_not_exists(version)' }
            : { ConditionExpression: 'version = :previous', ExpressionAttributeValues: { ':previous': previousVersion } }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StaleStateError(state.workerKey);
      throw error;
    }
    return next;
  }

  /** The workers linked to a Bitwarden member (one, unless something went wrong), through the sparse member index. */
  async linkedTo(memberId: string): Promise<string[]> {
    const items = await queryAll<{ workerKey: string }>(this.db, {
      TableName: this.table,
      IndexName: MEMBER_INDEX.name,
      KeyConditionExpression: 'memberId = :member',
      ExpressionAttributeValues: { ':member': memberId },
    });
    return items.map((item) => item.workerKey);
  }

  /**
   * Unlinks a worker from a member another worker took over (a rehire under a new id), as a new
   * version: a concurrent save of the old worker then fails and is retried without the member.
   */
  async releaseMember(workerKey: string, memberId: string): Promise<void> {
    await writeUnlessRefused(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { workerKey },
          UpdateExpression: 'SET version = version + :one REMOVE memberId',
          ConditionExpression: 'memberId = :member',
          ExpressionAttributeValues: { ':member': memberId, ':one': 1 },
        }),
      ),
    );
  }

  /** Every worker: for rule changes and reconciliation (rare admin work), never on the event path. */
  async all(): Promise<WorkerState[]> {
    return (await scanAll<WorkerState>(this.db, this.table)).filter((item) => 'version' in item);
  }

  /** Workers whose decision changes at or before `now`, through the sparse index (no scan). */
  async due(now: Date): Promise<Array<{ workerKey: string; reevaluateAt: string }>> {
    return queryAll(this.db, {
      TableName: this.table,
      IndexName: DUE_INDEX.name,
      KeyConditionExpression: 'dueShard = :shard AND reevaluateAt <= :now',
      ExpressionAttributeValues: { ':shard': DUE_SHARD, ':now': now.toISOString() },
    });
  }
}
