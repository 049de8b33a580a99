import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BitwardenClient } from '../bitwarden/client.js';
import type { Policy } from '../config/schema.js';
import { MemberStatus } from '../vocabulary/bitwarden.js';
import { queryAll } from '../store/dynamo.js';

export type GuardSettings = NonNullable<Policy['massRevocationGuard']>;

/** The partition of the per-minute counts of changes that took access away. */
const REVOCATIONS = 'revocations';

/** `2026-11-27T07:42`: the sort key of a minute's count. */
const minuteOf = (at: Date) => at.toISOString().slice(0, 16);

/** The share limit's floor, so that a 20-person company is not stopped by its second leaver of the hour. */
export const MINIMUM_SHARE_LIMIT = 5;

export interface HeldRevocation {
  workerKey: string;
  heldAt: string;
  reason: string;
  /** An admin approved it: it goes through whatever the count. */
  approved: boolean;
}

export interface GuardStatus {
  windowMinutes: number;
  revocationsInWindow: number;
  limit: number;
  held: HeldRevocation[];
  lastApproval: { at: string; by: string; released: number } | null;
}

/**
 * Safety before speed on mass change (docs/design.md, decision 8): when more changes that take
 * access away (revocations, and group removals) would happen in a sliding window (counted by the
 * minute) than the config allows (a number, or a share of the organization), further ones are held, not dropped and not
 * retried into the DLQ, until an admin approves or rejects them (`npx lifecycle guard approve|reject`),
 * or, with `release: rate` only, until the window has room again. Counting and recording are two
 * steps, so concurrent workers can overshoot the limit by at most the worker concurrency.
 */
export class RevocationGuard {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly settings: GuardSettings | null,
    /** Active members in the organization, for the share limit. */
    private readonly organizationSize: () => Promise<number>,
  ) {}

  /**
   * Whether `workerKey` may lose access now (a revocation or a group removal); if not, why. An allowed
   * change says whether a hold of the worker exists: it is dropped (`drop`) once the change is made.
   */
  async permit(workerKey: string, now: Date): Promise<{ allowed: true; holdExists: boolean } | { allowed: false; reason: string }> {
    if (!this.settings) return { allowed: true, holdExists: false };
    // One round trip before a revocation, not two: the count is read even when an approval makes it moot.
    const [held, count, limit] = await Promise.all([this.heldItem(workerKey), this.countInWindow(now), this.limit()]);
    if (held?.approved || count < limit) return { allowed: true, holdExists: held !== undefined };
    return { allowed: false, reason: `${count} revocations and group removals in the last ${this.settings.windowMinutes} min reach the limit of ${limit}` };
  }

  /**
   * Counts a change made in the window: one write, to the count of its minute, so that reading the
   * window's count reads one small item per minute, however many changes it holds. A hold the change
   * ends is dropped beside it (`drop`), only where there is one.
   */
  async recordRevocation(now: Date): Promise<void> {
    if (!this.settings) return;
    const expiresAt = Math.floor(now.getTime() / 1000) + this.settings.windowMinutes * 60 + 3600;
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: REVOCATIONS, sk: minuteOf(now) },
        UpdateExpression: 'ADD revocations :one SET expiresAt = :expiresAt',
        ExpressionAttributeValues: { ':one': 1, ':expiresAt': expiresAt },
      }),
    );
  }

  async hold(workerKey: string, now: Date, reason: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: 'held', sk: workerKey },
        UpdateExpression: 'SET workerKey = :key, heldAt = if_not_exists(heldAt, :now), reason = :reason, approved = if_not_exists(approved, :false)',
        ExpressionAttributeValues: { ':key': workerKey, ':now': now.toISOString(), ':reason': reason, ':false': false },
      }),
    );
  }

  /** Forgets a hold: its revocation was made, or is no longer wanted (the worker was re-hired or extended). */
  async drop(workerKey: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: 'held', sk: workerKey } }));
  }

  held(): Promise<HeldRevocation[]> {
    return queryAll<HeldRevocation>(this.db, { TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'held' } });
  }

  /** Approves the held changes (of one worker, or all); returns their keys, to be re-evaluated now. */
  async approve(by: string, now: Date, workerKey?: string): Promise<string[]> {
    const held = (await this.held()).filter((item) => !workerKey || item.workerKey === workerKey);
    for (const item of held) {
      await this.db.send(new UpdateCommand({ TableName: this.table, Key: { pk: 'held', sk: item.workerKey }, UpdateExpression: 'SET approved = :true', ExpressionAttributeValues: { ':true': true } }));
    }
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: 'approval', sk: 'latest', at: now.toISOString(), by, released: held.length } }));
    return held.map((item) => item.workerKey);
  }

  /** Rejects the held changes (of one worker, or all): they are forgotten, and the members keep their access; returns their keys. */
  async reject(workerKey?: string): Promise<string[]> {
    const held = (await this.held()).filter((item) => !workerKey || item.workerKey === workerKey);
    for (const item of held) await this.drop(item.workerKey);
    return held.map((item) => item.workerKey);
  }

  /** Held changes that may go now: approved ones; with `release: rate`, also unapproved ones up to the room left in the window. */
  async releasable(now: Date): Promise<string[]> {
    const held = await this.held();
    if (held.length === 0) return [];
    const approved = held.filter((item) => item.approved);
    if (this.settings?.release !== 'rate') return approved.map((item) => item.workerKey);
    const room = Math.max(0, (await this.limit()) - (await this.countInWindow(now)));
    const waiting = held.filter((item) => !item.approved).sort((a, b) => a.heldAt.localeCompare(b.heldAt));
    return [...approved, ...waiting.slice(0, room)].map((item) => item.workerKey);
  }

  async status(now: Date): Promise<GuardStatus> {
    const [count, limit, held, approval] = await Promise.all([
      this.countInWindow(now),
      this.limit(),
      this.held(),
      this.db.send(new GetCommand({ TableName: this.table, Key: { pk: 'approval', sk: 'latest' } })),
    ]);
    const lastApproval = approval.Item ? { at: approval.Item.at as string, by: approval.Item.by as string, released: approval.Item.released as number } : null;
    return { windowMinutes: this.settings?.windowMinutes ?? 0, revocationsInWindow: count, limit, held, lastApproval };
  }

  private async heldItem(workerKey: string): Promise<HeldRevocation | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: 'held', sk: workerKey }, ConsistentRead: true }));
    return Item as HeldRevocation | undefined;
  }

  /** The changes counted in the window's minutes: the oldest minute whole, so a change up to a minute older counts too (the guard errs on holding). */
  private async countInWindow(now: Date): Promise<number> {
    if (!this.settings) return 0;
    const since = new Date(now.getTime() - this.settings.windowMinutes * 60_000);
    const minutes = await queryAll<{ revocations: number }>(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :since AND :now',
      ExpressionAttributeValues: { ':pk': REVOCATIONS, ':since': minuteOf(since), ':now': minuteOf(now) },
      ConsistentRead: true,
    });
    return minutes.reduce((sum, minute) => sum + minute.revocations, 0);
  }

  private async limit(): Promise<number> {
    if (!this.settings) return Number.POSITIVE_INFINITY;
    if (this.settings.maxShareOfOrganization === null) return this.settings.maxRevocations;
    // In a small organization a share is a handful of people: the share limit never goes below this.
    const share = Math.max(MINIMUM_SHARE_LIMIT, Math.floor((await this.organizationSize()) * this.settings.maxShareOfOrganization));
    return Math.min(this.settings.maxRevocations, share);
  }
}

/** How long the organization's size (for the share limit) is trusted: it changes slowly, and counting it lists every member. */
const ORGANIZATION_SIZE_MAX_AGE_MS = 10 * 60_000;

/** Active (not revoked) members, counted at most every ten minutes: the guard's `organizationSize`. */
export function cachedOrganizationSize(bitwarden: Pick<BitwardenClient, 'listMembers'>, clock: () => number = Date.now): () => Promise<number> {
  let cached: { at: number; size: number } | null = null;
  return async () => {
    if (!cached || clock() - cached.at > ORGANIZATION_SIZE_MAX_AGE_MS) {
      const members = await bitwarden.listMembers();
      cached = { at: clock(), size: members.filter((member) => member.status !== MemberStatus.Revoked).length };
    }
    return cached.size;
  };
}
