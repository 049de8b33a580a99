import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll, queryAll, writeUnlessRefused } from './dynamo.js';

/** An invitation waiting for the next bulk import. */
export interface PendingInvite {
  workerKey: string;
  email: string;
  queuedAt: string;
}

const PENDING = 'pending';
const LOCK = 'lock';

/**
 * The invitations waiting for a bulk import (lib/sync/bulk-invites.ts): one item per worker under
 * one partition, so one query reads them all; and the lock that lets one invocation import at a time.
 */
export class PendingInviteStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async add(invite: PendingInvite): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { batch: PENDING, ...invite } }));
  }

  /** Withdraws a worker's invitation (a termination arrived first); nothing when there is none. */
  async cancel(workerKey: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { batch: PENDING, workerKey } }));
  }

  /** Every waiting invitation, read consistently (so one queued just before is seen). */
  async all(): Promise<PendingInvite[]> {
    const items = await queryAll<PendingInvite & { batch: string }>(this.db, {
      TableName: this.table,
      KeyConditionExpression: '#batch = :pending',
      // `batch` is one of DynamoDB's reserved words.
      ExpressionAttributeNames: { '#batch': 'batch' },
      ExpressionAttributeValues: { ':pending': PENDING },
      ConsistentRead: true,
    });
    return items.map(({ workerKey, email, queuedAt }) => ({ workerKey, email, queuedAt }));
  }

  async remove(workerKeys: readonly string[]): Promise<void> {
    await batchWriteAll(this.db, this.table, workerKeys.map((workerKey) => ({ DeleteRequest: { Key: { batch: PENDING, workerKey } } })));
  }

  /** Takes the import lock until `now + ttlMs` (a crashed holder's lock expires); false while another holds it. */
  async lock(holder: string, now: number, ttlMs: number): Promise<boolean> {
    return writeUnlessRefused(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { batch: LOCK, workerKey: LOCK, holder, until: now + ttlMs },
          ConditionExpression: 'attribute_not_exists(#until) OR #until < :now',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': now },
        }),
      ),
    );
  }

  async unlock(holder: string): Promise<void> {
    await writeUnlessRefused(this.db.send(new DeleteCommand({ TableName: this.table, Key: { batch: LOCK, workerKey: LOCK }, ConditionExpression: 'holder = :holder', ExpressionAttributeValues: { ':holder': holder } })));
  }
}
