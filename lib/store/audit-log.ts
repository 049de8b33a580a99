import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll, queryAll, scanAll } from './dynamo.js';

/**
 * `applied` is written after each Bitwarden write; `attempted` is a write that failed, or whose
 * invocation stopped before it could say (announced ahead in the worker's lease, and audited by the
 * next lease: lib/sync/apply-worker-event.ts); `queued` is an invitation left for the next bulk
 * import; `failed` is an attempt that threw (the worker retries it, then dead-letters it), with the reason.
 */
export type AuditOutcome = 'attempted' | 'applied' | 'planned' | 'skipped' | 'blocked' | 'held' | 'queued' | 'failed';

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

  /**
   * Every entry of every worker at or after `from` and before `to` (ISO), oldest first: the auditors'
   * export (lib/evidence/export.ts), rare admin work. A scan: the table is keyed by worker, and a
   * filter would read (and cost) the same items.
   */
  async between(from: string, to: string): Promise<AuditEntry[]> {
    const items = await scanAll<AuditEntry & { sk: string; expiresAt?: number }>(this.db, this.table);
    return items
      .filter((item) => item.at >= from && item.at < to)
      .sort((a, b) => a.at.localeCompare(b.at) || a.workerKey.localeCompare(b.workerKey) || a.sk.localeCompare(b.sk))
      .map(({ sk: _sk, expiresAt: _expiresAt, ...entry }) => entry);
  }
}
