import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll, queryAll } from './dynamo.js';

/** One worker as the source's roster last held it. */
export interface RosterEntry {
  workerKey: string;
  recordHash: string;
  /** The read that last saw it: after a complete read, an entry another read saw is absent from the source. */
  seenBy: string;
  /** The delta read whose source reported it deleted (RosterPage.removed): absent when that read completes. */
  removedBy?: string;
}

/** A read of a source's whole roster, resumable across invocations. */
export interface RosterRead {
  readId: string;
  startedAt: string;
  /** Where the next page starts; null before the first page. */
  cursor: string | null;
  pages: number;
  records: number;
  changed: number;
  /** Epoch ms until which this read's holder owns it; a crashed holder's read is resumed after it. */
  lockedUntil: number;
  /** What is being read when it is a file (a path or `s3://bucket/key`), so another invocation can resume it. */
  location?: string;
  /** Started where the last complete read left off (its `resume`): its pages hold only changes, and absence is what the source reports removed. */
  incremental?: boolean;
}

/** The last complete read, for the absence guard (a roster much smaller than the last one removes nobody). */
export interface CompletedRead {
  readId: string;
  completedAt: string;
  /** The roster's size after the read (for a delta read: the last size, plus what it added, minus what it removed). */
  records: number;
  /** Where the next read starts (the source's RosterPage.resume); absent: the next read reads the whole roster. */
  resume?: string;
}

const READ = '#read';
const LAST = '#last';
const isWorker = (key: string) => !key.startsWith('#');

export class ReadInProgressError extends Error {
  override readonly name = 'ReadInProgressError';
  constructor(source: string) {
    super(`a roster read of ${source} is in progress in another invocation; two reads never overlap`);
  }
}

/** The `Roster` table: per source, one item per worker, plus the read in progress and the last complete read. */
export class RosterStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async entries(source: string): Promise<Map<string, RosterEntry>> {
    const items = await queryAll<RosterEntry>(this.db, { TableName: this.table, KeyConditionExpression: 'sourceName = :source', ExpressionAttributeValues: { ':source': source }, ConsistentRead: true });
    return new Map(items.filter((item) => isWorker(item.workerKey)).map((item) => [item.workerKey, { workerKey: item.workerKey, recordHash: item.recordHash, seenBy: item.seenBy, ...(item.removedBy ? { removedBy: item.removedBy } : {}) }]));
  }

  async putEntries(source: string, entries: readonly RosterEntry[]): Promise<void> {
    await batchWriteAll(this.db, this.table, entries.map((entry) => ({ PutRequest: { Item: { sourceName: source, ...entry } } })));
  }

  async deleteEntries(source: string, workerKeys: readonly string[]): Promise<void> {
    await batchWriteAll(this.db, this.table, workerKeys.map((workerKey) => ({ DeleteRequest: { Key: { sourceName: source, workerKey } } })));
  }

  /** Takes the read in progress (resuming it) or starts `fresh`; refuses while another invocation holds it. */
  async claimRead(source: string, fresh: RosterRead, now: Date, lockMs: number): Promise<RosterRead> {
    const current = await this.get<RosterRead>(source, READ);
    if (current && current.lockedUntil > now.getTime()) throw new ReadInProgressError(source);
    const read = { ...(current ?? fresh), lockedUntil: now.getTime() + lockMs };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { sourceName: source, workerKey: READ, ...read },
          ...(current
            ? { ConditionExpression: 'lockedUntil = :seen', ExpressionAttributeValues: { ':seen': current.lockedUntil } }
            : { ConditionExpression: 'attribute_not_exists(workerKey)' }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ReadInProgressError(source);
      throw error;
    }
    return read;
  }

  /** Records progress after a page (the lock is extended with it). */
  async saveRead(source: string, read: RosterRead): Promise<void> {
    await this.db.send(new UpdateCommand({
      TableName: this.table,
      Key: { sourceName: source, workerKey: READ },
      UpdateExpression: 'SET #cursor = :cursor, #pages = :pages, #records = :records, #changed = :changed, lockedUntil = :until',
      ConditionExpression: 'readId = :readId',
      ExpressionAttributeNames: { '#cursor': 'cursor', '#pages': 'pages', '#records': 'records', '#changed': 'changed' },
      ExpressionAttributeValues: { ':cursor': read.cursor, ':pages': read.pages, ':records': read.records, ':changed': read.changed, ':until': read.lockedUntil, ':readId': read.readId },
    }));
  }

  /** Lets another invocation resume the read (this one ran out of time). */
  async releaseRead(source: string, read: RosterRead): Promise<void> {
    await this.saveRead(source, { ...read, lockedUntil: 0 });
  }

  /** The read failed: the next one starts over, and nobody is removed. */
  async abandonRead(source: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { sourceName: source, workerKey: READ } }));
  }

  async completeRead(source: string, read: RosterRead, now: Date, after: { records: number; resume: string | null }): Promise<void> {
    const completed: CompletedRead = { readId: read.readId, completedAt: now.toISOString(), records: after.records, ...(after.resume ? { resume: after.resume } : {}) };
    await this.db.send(new PutCommand({ TableName: this.table, Item: { sourceName: source, workerKey: LAST, ...completed } }));
    await this.abandonRead(source);
  }

  /** The source lost the state the last read left off at: the next read reads the whole roster. */
  async forgetResume(source: string): Promise<void> {
    await this.db.send(new UpdateCommand({ TableName: this.table, Key: { sourceName: source, workerKey: LAST }, UpdateExpression: 'REMOVE #resume', ExpressionAttributeNames: { '#resume': 'resume' } }));
  }

  lastComplete(source: string): Promise<CompletedRead | null> {
    return this.get<CompletedRead>(source, LAST);
  }

  currentRead(source: string): Promise<RosterRead | null> {
    return this.get<RosterRead>(source, READ);
  }

  private async get<T>(source: string, key: string): Promise<T | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { sourceName: source, workerKey: key }, ConsistentRead: true }));
    if (!Item) return null;
    const { sourceName: _source, workerKey: _key, ...rest } = Item;
    return rest as T;
  }
}
