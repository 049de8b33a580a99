import { createHash } from 'node:crypto';
import type { BatchResult } from '../../../lib/local/sqs-event-source.js';
import type { WorkerEventMessage } from '../../../lib/queue/message.js';
import type { Source, SourceSettings, WebhookRequest } from '../../../lib/sources/source.js';
import type { AuditEntry } from '../../../lib/store/audit-log.js';
import type { Delivery, DeliveryKind } from './deliveries.js';

/**
 * What the fuzzer holds the product to, after every batch:
 *  (a) nothing unsigned, wrongly signed or replayed was enqueued;
 *  (b) nothing accepted was lost: every change of a 202 ends in the audit trail with an outcome;
 *  (c) nothing crashed: the server answers, the workers drain the queues;
 *  (d) every answer is a documented one (README, "HR providers"; lib/ingest/receive-webhook.ts), never a 500.
 */
export type Check = '(a) enqueued without a valid signature' | '(b) accepted change lost' | '(c) crash' | '(d) undocumented answer';

/** 200 duplicate/handshake/no worker, 202 accepted, 400 malformed, 401 unsigned, 404 no provider, 413 too large, 429 throttled (more in flight than the ingest's reserved concurrency), 503 enqueue failed. */
export const DOCUMENTED_STATUSES: ReadonlySet<number> = new Set([200, 202, 400, 401, 404, 413, 429, 503]);

/** Outcomes that close a change on the audit trail ('attempted' alone does not: a write began and never finished). */
export const FINAL_OUTCOMES = ['applied', 'skipped', 'blocked', 'held', 'planned'] as const;
export type FinalOutcome = (typeof FINAL_OUTCOMES)[number];

export interface Answer {
  /** 0: no HTTP answer at all (the connection failed). */
  status: number;
  body: Record<string, unknown> | null;
  error?: string;
}

/** A delivery as a report shows it: enough to send it again byte for byte. */
export interface DeliveryRecord {
  id: number;
  kind: DeliveryKind;
  variant: string;
  path: string;
  headers: Record<string, string>;
  bodyBytes: number;
  bodySha256: string;
  /** The body, base64, cut at 64 KiB (bodyBytes and bodySha256 say whether it was). */
  bodyBase64: string;
}

export interface Violation {
  check: Check;
  provider: string;
  message: string;
  delivery?: DeliveryRecord;
  answer?: Answer;
}

export interface ProviderTotals {
  provider: string;
  sent: number;
  kinds: Partial<Record<DeliveryKind, number>>;
  statuses: Record<number, number>;
  /** Answers by what the delivery tested (`kind: variant`): which mutation gets which status. */
  byVariant: Record<string, Record<number, number>>;
  accepted: number;
  duplicates: number;
  handshakes: number;
  /** 200 for a verified event about no worker. */
  noWorker: number;
  changesEnqueued: number;
  messagesProcessed: number;
  outcomes: Record<FinalOutcome, number>;
  /** Messages a worker failed and SQS handed out again (fetch errors, a busy lane): retries, not losses. */
  retriedReceives: number;
  violations: number;
  crashes: number;
  elapsedMs: number;
}

export const emptyTotals = (provider: string): ProviderTotals => ({
  provider, sent: 0, kinds: {}, statuses: {}, byVariant: {}, accepted: 0, duplicates: 0, handshakes: 0, noWorker: 0, changesEnqueued: 0, messagesProcessed: 0,
  outcomes: { applied: 0, skipped: 0, blocked: 0, held: 0, planned: 0 }, retriedReceives: 0, violations: 0, crashes: 0, elapsedMs: 0,
});

export function deliveryRecord(delivery: Delivery): DeliveryRecord {
  return {
    id: delivery.id,
    kind: delivery.kind,
    variant: delivery.variant,
    path: delivery.path,
    headers: delivery.headers,
    bodyBytes: delivery.body.length,
    bodySha256: createHash('sha256').update(delivery.body).digest('hex'),
    bodyBase64: delivery.body.subarray(0, 64 * 1024).toString('base64'),
  };
}

/** The request as the ingest sees it: header names lower-cased, values trimmed as HTTP does. */
export function asReceived(delivery: Delivery): WebhookRequest {
  return { headers: Object.fromEntries(Object.entries(delivery.headers).map(([name, value]) => [name.toLowerCase(), value.trim()])), body: delivery.body };
}

/** Kinds that must be refused outright: their signature does not hold, or they name no provider. */
const mustBeRefused: ReadonlySet<DeliveryKind> = new Set(['tampered', 'forged', 'route']);

/** Checks (a), (c) and (d) on one answer, and counts it. */
export function judgeAnswer(delivery: Delivery, answer: Answer, totals: ProviderTotals): Violation[] {
  const violations: Violation[] = [];
  const flag = (check: Check, message: string) => violations.push({ check, provider: delivery.provider, message, delivery: deliveryRecord(delivery), answer });
  totals.sent++;
  totals.kinds[delivery.kind] = (totals.kinds[delivery.kind] ?? 0) + 1;
  totals.statuses[answer.status] = (totals.statuses[answer.status] ?? 0) + 1;
  // A replay's variant names its original (`as sent (of #12)`): counted without it.
  const variant = (totals.byVariant[`${delivery.kind}: ${delivery.variant.replace(/ \(of #\d+\)$/, '')}`] ??= {});
  variant[answer.status] = (variant[answer.status] ?? 0) + 1;

  if (answer.status === 0) {
    totals.crashes++;
    flag('(c) crash', `no HTTP answer: ${answer.error}`);
    return violations;
  }
  if (!DOCUMENTED_STATUSES.has(answer.status)) flag('(d) undocumented answer', `status ${answer.status}`);
  if (answer.status === 200) {
    if (answer.body?.duplicate === true) totals.duplicates++;
    else if (answer.body?.handshake === true) totals.handshakes++;
    else if (answer.body?.accepted === 0) totals.noWorker++;
    else flag('(d) undocumented answer', `200 that is neither a duplicate, a handshake nor an event about no worker: ${JSON.stringify(answer.body)}`);
  }
  if (answer.status === 202) {
    totals.accepted++;
    if (typeof answer.body?.accepted !== 'number' || answer.body.accepted < 1 || typeof answer.body.deliveryId !== 'string') flag('(d) undocumented answer', `202 without accepted/deliveryId: ${JSON.stringify(answer.body)}`);
  }
  if (mustBeRefused.has(delivery.kind) && answer.status < 400) flag('(a) enqueued without a valid signature', `a ${delivery.kind} delivery (${delivery.variant}) was answered ${answer.status}`);
  if (delivery.kind === 'replay' && answer.status === 202) flag('(a) enqueued without a valid signature', `a replay (${delivery.variant}) was accepted again instead of answered as a duplicate`);
  return violations;
}

interface ExpectedChange {
  deliveryId: string;
  workerKey: string;
  delivery: Delivery;
}

const changeKey = (deliveryId: string, workerKey: string) => `${deliveryId}\u0000${workerKey}`;

/**
 * What was accepted and what the workers processed, across the whole run: the ledger (a) and (b)
 * are checked against. Expected changes are the source's own parse of each accepted delivery (what
 * the ingest enqueued); processed messages come from the workers' `batch` events.
 */
export class Ledger {
  /** Per accepted delivery id: how many changes its 202s accepted (a reused id with another body is another delivery). */
  private readonly acceptedChanges = new Map<string, number>();
  private readonly processedByDelivery = new Map<string, Set<string>>();
  private readonly processedKeys = new Set<string>();
  private pending: ExpectedChange[] = [];
  private unchecked: Array<{ messageId: string; message: WorkerEventMessage }> = [];
  /** Re-evaluations the product enqueued itself (sweeper, guard, rules): not deliveries. */
  reevaluations = 0;
  retriedReceives = 0;
  processed = 0;

  /** Records a 202: the changes the source reads from it are now owed an outcome. */
  expect(delivery: Delivery, source: Source, settings: SourceSettings, answer: Answer): Violation[] {
    let changes;
    try {
      changes = source.parse(asReceived(delivery), settings);
    } catch (error) {
      return [{ check: '(b) accepted change lost', provider: delivery.provider, message: `accepted, but the source's parse refuses it: ${(error as Error).message}`, delivery: deliveryRecord(delivery), answer }];
    }
    const violations: Violation[] = [];
    if (changes.length !== answer.body?.accepted || changes[0]?.deliveryId !== answer.body?.deliveryId) {
      violations.push({ check: '(b) accepted change lost', provider: delivery.provider, message: `answered ${JSON.stringify(answer.body)}, but the delivery holds ${changes.length} change(s) with id ${changes[0]?.deliveryId}`, delivery: deliveryRecord(delivery), answer });
    }
    for (const change of changes) {
      this.acceptedChanges.set(change.deliveryId, (this.acceptedChanges.get(change.deliveryId) ?? 0) + 1);
      this.pending.push({ deliveryId: change.deliveryId, workerKey: change.workerKey, delivery });
    }
    return violations;
  }

  /** A worker invocation's outcome (the local event source's `batch` event). */
  onBatch = (result: BatchResult): void => {
    this.retriedReceives += result.failed.length;
    for (const record of result.succeeded) {
      const message = JSON.parse(record.body) as WorkerEventMessage;
      const seen = this.processedByDelivery.get(message.deliveryId) ?? new Set<string>();
      // A message SQS handed out twice (visibility timeout under load) is one message.
      if (seen.has(record.messageId)) continue;
      seen.add(record.messageId);
      this.processedByDelivery.set(message.deliveryId, seen);
      this.processedKeys.add(changeKey(message.deliveryId, message.workerKey));
      this.unchecked.push({ messageId: record.messageId, message });
      this.processed++;
    }
  };

  /** Expected changes no worker has processed yet. */
  outstanding(): number {
    return this.pending.filter((change) => !this.processedKeys.has(changeKey(change.deliveryId, change.workerKey))).length;
  }

  /** (a): every processed message belongs to a 202, and no 202 produced more messages than changes. */
  checkProcessed(provider: string): Violation[] {
    const violations: Violation[] = [];
    for (const { messageId, message } of this.unchecked) {
      if (message.provider === 'lifecycle') {
        this.reevaluations++;
        continue;
      }
      const accepted = this.acceptedChanges.get(message.deliveryId);
      if (accepted === undefined) {
        violations.push({ check: '(a) enqueued without a valid signature', provider, message: `worker processed message ${messageId} of delivery ${message.deliveryId} (worker ${JSON.stringify(message.workerKey)}), which no 202 accepted` });
      } else if (this.processedByDelivery.get(message.deliveryId)!.size > accepted) {
        violations.push({ check: '(a) enqueued without a valid signature', provider, message: `delivery ${message.deliveryId} was accepted with ${accepted} change(s) but ${this.processedByDelivery.get(message.deliveryId)!.size} messages were processed` });
      }
    }
    this.unchecked = [];
    return violations;
  }

  /**
   * (b): every expected change was processed and its delivery has a final outcome on its worker's
   * audit trail. `deadLettered` names the changes the queue gave up on.
   */
  async checkOutcomes(provider: string, auditOf: (workerKey: string) => Promise<AuditEntry[]>, deadLettered: ReadonlySet<string>, outcomes: Record<FinalOutcome, number>): Promise<Violation[]> {
    const violations: Violation[] = [];
    const byWorker = new Map<string, ExpectedChange[]>();
    for (const change of this.pending) byWorker.set(change.workerKey, [...(byWorker.get(change.workerKey) ?? []), change]);
    for (const [workerKey, changes] of byWorker) {
      const trail = await auditOf(workerKey);
      for (const change of changes) {
        const lost = (message: string) => violations.push({ check: '(b) accepted change lost', provider, message, delivery: deliveryRecord(change.delivery) });
        const key = changeKey(change.deliveryId, change.workerKey);
        if (!this.processedKeys.has(key)) {
          lost(`change of worker ${JSON.stringify(workerKey)} (delivery ${change.deliveryId}) was accepted but ${deadLettered.has(key) ? 'ended in the dead-letter queue' : 'never processed'}`);
          continue;
        }
        const closing = trail.filter((entry) => entry.deliveryId === change.deliveryId && (FINAL_OUTCOMES as readonly string[]).includes(entry.outcome));
        if (closing.length === 0) {
          lost(`change of worker ${JSON.stringify(workerKey)} (delivery ${change.deliveryId}) was processed but has no outcome on the audit trail (${trail.filter((entry) => entry.deliveryId === change.deliveryId).map((entry) => entry.outcome).join(', ') || 'no entry'})`);
          continue;
        }
        outcomes[decisiveOutcome(closing.map((entry) => entry.outcome as FinalOutcome))]++;
      }
    }
    this.pending = [];
    return violations;
  }
}

/** A change with several audit entries (an invite, then its groups) counts once, by what stopped or held it first. */
function decisiveOutcome(outcomes: FinalOutcome[]): FinalOutcome {
  for (const outcome of ['held', 'blocked', 'skipped', 'planned'] as const) if (outcomes.includes(outcome)) return outcome;
  return 'applied';
}

export const changeKeyOf = (message: Pick<WorkerEventMessage, 'deliveryId' | 'workerKey'>) => changeKey(message.deliveryId, message.workerKey);
