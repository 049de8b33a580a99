import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import type { BitwardenEmulator } from '../../lib/local/bitwarden/emulator.js';
import type { WorkerEventMessage } from '../../lib/queue/message.js';
import { documentClient } from '../../lib/runtime/aws.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { AuditLog, type AuditEntry } from '../../lib/store/audit-log.js';
import { Tables } from '../../lib/store/tables.js';
import { WorkerStateStore } from '../../lib/store/worker-state.js';
import { applyWorkerEvent } from '../../lib/sync/apply-worker-event.js';
import { WorkerRecordSchema } from '../../lib/vocabulary/worker-record.js';
import { bitwardenPair } from '../support/bitwarden.js';
import { freshTables, syncCore } from '../support/sync-core.js';
import { worker } from '../support/generic-events.js';

/**
 * The worker announces its Bitwarden writes in the lease's write, instead of an audit entry ahead of
 * each (docs/design.md, decision 2). A write Bitwarden made whose `applied` entry could not be
 * written must still reach the trail: it stays announced, and the next event of the worker audits it.
 */
const config = parseConfig('rules:\n  - id: everyone\n    groups: [All Staff]\n');
let emulator: BitwardenEmulator;

beforeAll(freshTables);
afterAll(() => emulator?.stop());

/** An audit log whose writes of `applied` entries fail while `failing` says so, as DynamoDB may refuse one. */
class FailingAppliedAudit extends AuditLog {
  failing = true;
  override async record(entries: AuditEntry[]): Promise<void> {
    if (this.failing && entries.some((entry) => entry.outcome === 'applied')) throw new Error('the audit table refused the write');
    return super.record(entries);
  }
}

describe('a write Bitwarden made whose audit entry could not be written', () => {
  it.each([
    ['as this version leaves it', false],
    // Before the holder moved out of the intent, a release left it there and removed leaseHolder: such an item is taken over too, not refused for good.
    ['as the earlier item layout left it (the holder inside the intent)', true],
  ])('stays announced on the worker, %s, and the next event audits it attempted, at the time it was announced', async (_layout, earlierLayout) => {
    const pair = await bitwardenPair({ groups: ['All Staff'] });
    await emulator?.stop();
    emulator = pair.emulator;
    const db = documentClient();
    const workers = new WorkerStateStore(db, tableName(readEnvironment(), Tables.workers));
    const audit = new FailingAppliedAudit(db, tableName(readEnvironment(), Tables.audit));
    const record = WorkerRecordSchema.parse(worker());
    const hire: WorkerEventMessage = { version: 1, provider: 'generic', workerKey: record.externalId, deliveryId: 'd-hire', eventType: 'worker.hired', occurredAt: '2026-01-05T09:00:00Z', receivedAt: '2026-01-05T09:00:01Z', subject: { kind: 'record', worker: record } };
    const clock = { now: new Date('2026-01-05T09:00:02Z') };
    const deps = syncCore(pair.client, { rules: config.rules, policy: config.policy, now: () => clock.now, audit });

    await expect(applyWorkerEvent(hire, deps)).rejects.toThrow('the audit table refused the write');
    expect(emulator.writes().map((exchange) => `${exchange.method} ${exchange.route} ${exchange.status}`)).toEqual(['POST /public/members 200']);
    const left = await workers.read(record.externalId);
    expect(left).toMatchObject({ leasedUntil: null, intent: { deliveryId: 'd-hire', actions: [{ kind: 'invite', memberId: null }] } });

    if (earlierLayout) {
      await db.send(new UpdateCommand({ TableName: tableName(readEnvironment(), Tables.workers), Key: { workerKey: record.externalId }, UpdateExpression: 'SET intent.holder = leaseHolder REMOVE leaseHolder' }));
      expect((await workers.read(record.externalId)).intent?.holder).toEqual(expect.any(String));
    }
    // The hire comes back from the queue, the audit table takes writes again.
    audit.failing = false;
    clock.now = new Date('2026-01-05T09:00:09Z');
    expect(await applyWorkerEvent(hire, deps)).toMatchObject({ outcome: 'applied', executed: [] });

    const trail = await audit.forWorker(record.externalId);
    expect(trail.map((entry) => [entry.at, entry.outcome, entry.action])).toEqual([
      ['2026-01-05T09:00:02.000Z', 'attempted', 'invite'],
      ['2026-01-05T09:00:09.000Z', 'applied', 'none'],
    ]);
    expect(emulator.writes()).toHaveLength(1);
    expect((await workers.read(record.externalId)).intent).toBeNull();
  });
});
