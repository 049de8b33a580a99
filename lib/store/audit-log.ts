import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll, queryAll } from './dynamo.js';

/**
 * `attempted` is written before each Bitwarden write and `applied` after it, so a crash in between
 * still leaves a trail; `queued` is an invitation left for the next bulk import.
 */
export type AuditOutcome = 'attempted' | 'applied' | 'planned' | 'skipped' | 'blocked' | 'held' | 'queued';

/** One line of the audit trail: what was done (or deliberately not done) for a worker, and why. */
export interface AuditEntry {
  workerKey: string;
  at: string;
  deliveryId: string;
  provider: string;
  eventType: string;
  outcome: AuditOutcome;
  /** `invite`, `set-groups`, `revoke`, `restore`, or `none` for a skip. */
  action: string;
  memberId: string | null;
  detail: string;
}

const DAY_SECONDS = 86_400;

export class AuditLog {
  private sequence = 0;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays = 400,
  ) {}

  async record(entries: AuditEntry[]): Promise<void> {
    const items = entries.map((entry) => ({
      ...entry,
      // Time first so a query returns the trail in order; the suffix keeps same-millisecond entries apart.
      sk: `${entry.at}#${entry.deliveryId}#${String(this.sequence++).padStart(6, '0')}`,
      expiresAt: Math.floor(Date.parse(entry.at) / 1000) + this.retentionDays * DAY_SECONDS,
    }));
    await batchWriteAll(this.db, this.table, items.map((Item) => ({ PutRequest: { Item } })));
  }

  forWorker(workerKey: string): Promise<AuditEntry[]> {
    return queryAll<AuditEntry>(this.db, { TableName: this.table, KeyConditionExpression: 'workerKey = :key', ExpressionAttributeValues: { ':key': workerKey } });
  }
}
