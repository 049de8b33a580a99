import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { WorkerRecordSchema, type WorkerRecord } from '../vocabulary/worker-record.js';
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

/**
 * The Bitwarden writes a worker event is about to make, announced in the write that takes the
 * worker (docs/design.md, decision 2): the trail is written ahead without a write of its own. A
 * save removes it, and so does a release once every write begun is audited; one found on a worker
 * nobody holds was left by an invocation that stopped, and is audited before the next lease.
 */
export interface WriteIntent {
  at: string;
  deliveryId: string;
  provider: string;
  eventType: string;
  /** Why, as the audit entries of the event say it. */
  reason: string;
  actions: Array<{ kind: string; memberId: string | null }>;
  /** The lease that announced it (its `leaseHolder`, as read): a later lease is taken only over the intent it read. */
  holder?: string;
}

/** A worker's state as an event reads it before taking the worker: whether another invocation holds it, and what one that stopped left announced. */
export interface WorkerReading {
  state: WorkerState | null;
  /** Epoch ms until which another invocation holds the worker; null when nobody does. */
  leasedUntil: number | null;
  /** Writes announced and not known to be audited: left by a holder that stopped, or whose audit failed. */
  intent: WriteIntent | null;
}

/** A worker held by one invocation, and the release (not needed after a save, which clears the lease). */
export interface Lease {
  /**
   * Lets the worker go without a save. `unaudited` are the announced writes begun whose outcome
   * could not be audited: they stay announced, for the next lease to audit; with none, the intent goes.
   */
  release(unaudited?: WriteIntent['actions']): Promise<void>;
}

/**
 * DynamoDB bills a write by the item's size in 1 KB units, the larger of its old and new image, and a
 * lease writes the whole item: the state, the lease and the writes it announces stay under 1 KB for a
 * usual record only without their empty fields. An item keeps no null or empty field (the sparse
 * indexes need their keys absent anyway), and a read puts them back.
 */
const NULLABLE_FIELDS = ['memberId', 'revokedAt', 'invitedAt', 'inviteQueuedAt', 'memberWrittenAt', 'reevaluateAt'] as const satisfies ReadonlyArray<keyof WorkerState>;
const RECORD_FIELDS = Object.keys(WorkerRecordSchema.shape) as Array<keyof WorkerRecord>;

const isEmpty = (value: unknown) => value === null || value === undefined || (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0);
const withoutEmpty = <T extends object>(value: T) => Object.fromEntries(Object.entries(value).filter(([, field]) => !isEmpty(field)));

/** The record as the schema gives it, from the fields stored: absent ones null, no attributes `{}`, no pushed groups absent. */
function storedRecord(stored: Partial<WorkerRecord>): WorkerRecord {
  const fields = RECORD_FIELDS.filter((field) => field !== 'groups' || stored.groups !== undefined).map((field) => [field, stored[field] ?? (field === 'attributes' ? {} : null)]);
  return Object.fromEntries(fields) as WorkerRecord;
}

/** An item holding only a lease is not a state yet. */
function asState(item: Record<string, unknown> | undefined): WorkerState | null {
  if (!item || !('version' in item)) return null;
  const { leaseHolder: _holder, leaseUntil: _until, intent: _intent, dueShard: _shard, ...state } = item;
  const absent = Object.fromEntries(NULLABLE_FIELDS.map((field) => [field, null]));
  return { ...absent, ...(state as unknown as WorkerState), record: storedRecord(item.record as Partial<WorkerRecord>) };
}

export class StaleStateError extends Error {
  override readonly name = 'StaleStateError';
  constructor(workerKey: string) {
    super(`worker ${workerKey} was changed by another writer; the event will be retried`);
  }
}

/** Another lane still held this worker after the event waited for it (lib/sync/apply-worker-event.ts); the worker handler retries the message within seconds. */
export class WorkerBusyError extends Error {
  override readonly name = 'WorkerBusyError';
  constructor(workerKey: string) {
    super(`worker ${workerKey} is being processed by another lane; the event will be retried`);
  }
}

const DUE_SHARD = 'due';

/** The holder is the item's `leaseHolder`, not repeated in the intent. */
const withoutHolder = ({ holder: _holder, ...intent }: WriteIntent) => intent;

export class WorkerStateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(workerKey: string): Promise<WorkerState | null> {
    return (await this.read(workerKey)).state;
  }

  /** The state, strongly consistent (a re-evaluation may follow its save by milliseconds), with the lease on it. */
  async read(workerKey: string): Promise<WorkerReading> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { workerKey }, ConsistentRead: true }));
    const leasedUntil = typeof Item?.leaseUntil === 'number' ? Item.leaseUntil : null;
    // An item written before the holder moved out of the intent names it there, with no leaseHolder.
    const left = Item?.intent as WriteIntent | undefined;
    const intent = left ? { ...left, holder: (Item!.leaseHolder as string | undefined) ?? left.holder } : null;
    return { state: asState(Item), leasedUntil, intent };
  }

  /**
   * Takes the worker for `ttlMs` at `at` (epoch ms), announcing `intent`, if nobody holds it and it
   * is still as `read` (its version, and the intent left on it, already audited by the caller):
   * FIFO orders one lane, but the normal and urgent lanes can hold the same worker at once, and a
   * stale restore must never run after a revoke. Null when refused: the caller reads the worker again.
   */
  async lease(workerKey: string, read: Pick<WorkerReading, 'state' | 'intent'>, intent: WriteIntent, at: number, ttlMs: number): Promise<Lease | null> {
    const holder = randomUUID();
    const version = read.state?.version ?? null;
    const left = read.intent?.holder;
    const written = await writeUnlessRefused(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { workerKey },
          UpdateExpression: 'SET leaseHolder = :holder, leaseUntil = :until, intent = :intent',
          ConditionExpression: [
            '(attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
            version === null ? 'attribute_not_exists(version)' : 'version = :version',
            left === undefined ? 'attribute_not_exists(intent)' : '(leaseHolder = :left OR (attribute_not_exists(leaseHolder) AND intent.holder = :left))',
          ].join(' AND '),
          ExpressionAttributeValues: { ':holder': holder, ':until': at + ttlMs, ':now': at, ':intent': withoutHolder(intent), ...(version === null ? {} : { ':version': version }), ...(left === undefined ? {} : { ':left': left }) },
        }),
      ),
    );
    if (!written) return null;
    return {
      release: async (unaudited = []) => {
        await writeUnlessRefused(
          this.db.send(
            new UpdateCommand({
              TableName: this.table,
              Key: { workerKey },
              // Writes left announced keep the holder's name, which the next lease names to take them over.
              UpdateExpression: unaudited.length === 0 ? 'REMOVE leaseHolder, leaseUntil, intent' : 'SET intent.actions = :unaudited REMOVE leaseUntil',
              ConditionExpression: 'leaseHolder = :holder',
              ExpressionAttributeValues: { ':holder': holder, ...(unaudited.length === 0 ? {} : { ':unaudited': unaudited }) },
            }),
          ),
        );
      },
    };
  }

  /**
   * Writes `state` as version `previous + 1` (clearing the lease and its intent); fails if someone
   * saved since `previous` was read. With `unleasedAt` (epoch ms), the caller holds no lease, and
   * the save is refused as well while another invocation holds the worker.
   */
  async save(state: Omit<WorkerState, 'version'>, previousVersion: number | null, unleasedAt?: number): Promise<WorkerState> {
    const next = { ...state, version: (previousVersion ?? 0) + 1 };
    // Only a worker with a re-evaluation pending is in the due index.
    const item = { ...withoutEmpty(next), record: withoutEmpty(next.record), ...(next.reevaluateAt ? { dueShard: DUE_SHARD } : {}) };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: [previousVersion === null ? 'attribute_not_exists(version)' : 'version = :previous', ...(unleasedAt === undefined ? [] : ['(attribute_not_exists(leaseUntil) OR leaseUntil < :now)'])].join(' AND '),
          ...(previousVersion === null && unleasedAt === undefined ? {} : { ExpressionAttributeValues: { ...(previousVersion === null ? {} : { ':previous': previousVersion }), ...(unleasedAt === undefined ? {} : { ':now': unleasedAt }) } }),
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
    return (await scanAll<Record<string, unknown>>(this.db, this.table)).flatMap((item) => asState(item) ?? []);
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
