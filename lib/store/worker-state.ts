import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WorkerRecord } from '../hris/worker-record.js';

/** What the product remembers about one worker between events. */
export interface WorkerState {
  workerKey: string;
  /** Optimistic lock: each save must name the version it read. */
  version: number;
  /** `occurredAt` of the newest applied event; older events are stale and dropped. */
  lastEventAt: string;
  lastDeliveryId: string;
  /** Hash of the newest record, so a second delivery of the same change is recognized. */
  recordHash: string;
  record: WorkerRecord;
  /** The Bitwarden member this worker is linked to (by externalId or, once, by e-mail). */
  memberId: string | null;
  access: 'member' | 'revoked';
  groups: string[];
  reevaluateAt: string | null;
  updatedAt: string;
}

export class StaleStateError extends Error {
  override readonly name = 'StaleStateError';
  constructor(workerKey: string) {
    super(`worker ${workerKey} was changed by another writer; the event will be retried`);
  }
}

export class WorkerStateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(workerKey: string): Promise<WorkerState | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { workerKey }, ConsistentRead: true }));
    return (Item as WorkerState | undefined) ?? null;
  }

  /** Writes `state` as version `previous + 1`; fails if someone saved since `previous` was read. */
  async save(state: Omit<WorkerState, 'version'>, previousVersion: number | null): Promise<WorkerState> {
    const next = { ...state, version: (previousVersion ?? 0) + 1 };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: next,
          ...(previousVersion === null
            ? { ConditionExpression: 'attribute_not_exists(workerKey)' }
            : { ConditionExpression: 'version = :previous', ExpressionAttributeValues: { ':previous': previousVersion } }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new StaleStateError(state.workerKey);
      throw error;
    }
    return next;
  }
}
