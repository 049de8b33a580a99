import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { writeUnlessRefused } from './dynamo.js';
import { schedule, scheduleAfter, type CallKey, type CallPriority, type RateBudget, type Reservation } from '../bitwarden/rate-budget.js';

/** How often a reservation is tried again when another invocation moved the schedule at the same moment. */
const MAX_CONTENDED_TRIES = 20;

/**
 * The rate budget shared by every invocation: one item per counter holding its GCRA schedule
 * (lib/bitwarden/rate-budget.ts). A reservation is one conditional write naming the schedule this
 * process last saw; when another invocation moved it, DynamoDB hands back the current one with
 * the refusal and the reservation is computed again. So a reservation costs one write, and no
 * read, unless two invocations reserve the same counter at the same instant.
 */
export class DynamoRateBudget implements RateBudget {
  /** The schedule of each counter as this process last saw it. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async reserve(key: CallKey, priority: CallPriority, maxWaitMs: number, now: number): Promise<Reservation> {
    for (let attempt = 0; attempt < MAX_CONTENDED_TRIES; attempt++) {
      const seen = this.seen.get(key.counter);
      const next = schedule(seen ?? now, key.pace, priority, maxWaitMs, now);
      if ('retryAt' in next) return { granted: false, waitMs: next.retryAt - now };
      if (await this.move(key.counter, seen, next.tat)) return { granted: true, waitMs: next.startAt - now };
    }
    // Many invocations at once on one counter: come back after a burst's worth of slots.
    return { granted: false, waitMs: key.pace.burst * key.pace.intervalMs };
  }

  async exhaustedUntil(key: CallKey, until: number): Promise<void> {
    const floor = scheduleAfter(until, key.pace);
    const written = await writeUnlessRefused(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { counter: key.counter },
          UpdateExpression: 'SET tat = :floor',
          ConditionExpression: 'attribute_not_exists(tat) OR tat < :floor',
          ExpressionAttributeValues: { ':floor': floor },
        }),
      ),
    );
    // Refused: someone already scheduled past it, nothing to correct.
    if (written) this.seen.set(key.counter, floor);
  }

  /** Moves the schedule from `from` (as this process saw it; undefined: no item yet) to `to`; false when it had moved. */
  private async move(counter: string, from: number | undefined, to: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { counter },
          UpdateExpression: 'SET tat = :to',
          ConditionExpression: from === undefined ? 'attribute_not_exists(tat)' : 'tat = :from',
          ExpressionAttributeValues: { ':to': to, ...(from === undefined ? {} : { ':from': from }) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      this.seen.set(counter, to);
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = error.Item?.tat;
      // The refusal carries the item in DynamoDB's wire format.
      const tat = current && 'N' in current ? Number(current.N) : undefined;
      if (tat === undefined) this.seen.delete(counter);
      else this.seen.set(counter, tat);
      return false;
    }
  }
}
