import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchResult } from '../../lib/local/sqs-event-source.js';
import type { WorkerEventMessage } from '../../lib/queue/message.js';
import { documentClient, sqsClient } from '../../lib/runtime/aws.js';
import { AuditLog } from '../../lib/store/audit-log.js';
import { Tables } from '../../lib/store/tables.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { WorkerStateStore, type WriteIntent } from '../../lib/store/worker-state.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { genericDelivery, worker, type WorkerInput } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';

/**
 * The normal and urgent lanes may hold events of one worker at once (a hire and, a second later, an
 * update that may revoke). The second must not wait out the queue's visibility timeout: here 60 s,
 * longer than any of these tests may run.
 */
const VISIBILITY_TIMEOUT_SECONDS = 60;
let runtime: TestRuntime;
const batches: BatchResult[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime(undefined, { visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS });
  for (const source of Object.values(runtime.workers)) source.on('batch', (batch) => batches.push(batch));
});
afterAll(() => runtime?.stop());

const workers = () => new WorkerStateStore(documentClient(), process.env.WORKERS_TABLE!);
const auditOf = (workerKey: string) => new AuditLog(documentClient(), tableName(readEnvironment(), Tables.audit)).forWorker(workerKey);
/** What another invocation announces when it takes a worker (lib/store/worker-state.ts). */
const intentOf = (deliveryId: string, actions: WriteIntent['actions'] = []): WriteIntent => ({ at: new Date().toISOString(), deliveryId, provider: 'generic', eventType: 'worker.updated', reason: 'another lane', actions });

/** Hires a worker and waits until the hire is applied. */
async function hired(): Promise<WorkerInput> {
  const person = worker();
  const hire = genericDelivery('worker.hired', person, { secret: TEST_SECRET, occurredAt: new Date(Date.now() - 60_000).toISOString() });
  const applied = runtime.processed(hire.id);
  expect((await runtime.post('generic', hire)).status).toBe(202);
  await applied;
  return person;
}

const ofWorker = (workerKey: string) => (record: SQSRecord) => (JSON.parse(record.body) as WorkerEventMessage).workerKey === workerKey;
const receiveCounts = (workerKey: string) => batches.flatMap((batch) => batch.succeeded.filter(ofWorker(workerKey))).map((record) => record.attributes.ApproximateReceiveCount);
const failures = (workerKey: string) => batches.flatMap((batch) => batch.failed.filter(ofWorker(workerKey)));

/** Resolves with the first batch in which a record of this worker failed. */
const failedOnce = (workerKey: string) =>
  new Promise<void>((resolve) => {
    const listener = (batch: BatchResult) => {
      if (!batch.failed.some(ofWorker(workerKey))) return;
      for (const source of Object.values(runtime.workers)) source.off('batch', listener);
      resolve();
    };
    for (const source of Object.values(runtime.workers)) source.on('batch', listener);
  });

async function deadLettered(): Promise<number> {
  let count = 0;
  for (const queue of Object.values(runtime.queues)) {
    const { Attributes } = await sqsClient().send(new GetQueueAttributesCommand({ QueueUrl: queue.deadLetterUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    count += Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  }
  return count;
}

describe('one worker in both lanes at once', () => {
  it('applies both events on their first receive, whichever lane takes the worker first, and the termination wins', async () => {
    // Each Bitwarden call takes a while, so both lanes evaluate the worker at once.
    runtime.bitwarden!.faults.latencyMs = 500;
    const person = worker();
    const today = new Date().toISOString().slice(0, 10);
    const hire = genericDelivery('worker.hired', person, { secret: TEST_SECRET, occurredAt: new Date(Date.now() - 1000).toISOString() });
    const termination = genericDelivery('worker.terminated', { ...person, status: 'terminated', terminationDate: today }, { secret: TEST_SECRET });
    const applied = Promise.all([runtime.processed(hire.id), runtime.processed(termination.id)]);

    expect((await runtime.post('generic', hire)).status).toBe(202);
    expect((await runtime.post('generic', termination)).status).toBe(202);
    await applied;
    runtime.bitwarden!.faults.latencyMs = 0;

    expect(failures(person.externalId)).toEqual([]);
    expect(receiveCounts(person.externalId)).toEqual(['1', '1']);
    // Never invited (the hire found itself older than the termination), or invited and then revoked.
    const member = runtime.bitwarden!.memberByExternalId(person.externalId);
    expect(member === undefined || member.status === MemberStatus.Revoked, `member ${JSON.stringify(member)}`).toBe(true);
    expect((await workers().read(person.externalId)).state).toMatchObject({ access: 'revoked', lastDeliveryId: termination.id });
  });

  it('makes a message visible again within seconds when the other lane still holds the worker after the wait', async () => {
    const person = worker();
    // Another invocation holds the worker for longer than an event waits for it.
    const { release } = (await workers().lease(person.externalId, { state: null, intent: null }, intentOf('other-lane'), Date.now(), VISIBILITY_TIMEOUT_SECONDS * 1000))!;
    const hire = genericDelivery('worker.hired', person, { secret: TEST_SECRET });
    const failed = failedOnce(person.externalId);
    const applied = runtime.processed(hire.id);

    expect((await runtime.post('generic', hire)).status).toBe(202);
    await failed;
    await release();
    await applied;

    expect(receiveCounts(person.externalId)).toEqual(['2']);
    expect(await deadLettered()).toBe(0);
    expect(runtime.bitwarden!.memberByExternalId(person.externalId)).toMatchObject({ groupNames: expect.arrayContaining(['All Staff']) });
  }, 30_000);

  it('skips a stale event at once, without waiting for the lane that holds the worker', async () => {
    const person = await hired();
    const { release } = (await workers().lease(person.externalId, await workers().read(person.externalId), intentOf('other-lane'), Date.now(), VISIBILITY_TIMEOUT_SECONDS * 1000))!;
    // The same hire again, sent before the one applied: a skip changes nothing, so it takes no lease.
    const stale = genericDelivery('worker.hired', person, { secret: TEST_SECRET, occurredAt: new Date(Date.now() - 120_000).toISOString() });
    const skipped = runtime.processed(stale.id);
    expect((await runtime.post('generic', stale)).status).toBe(202);
    await skipped;
    const held = await workers().read(person.externalId);
    await release();

    expect(held.leasedUntil).not.toBeNull();
    expect(failures(person.externalId)).toEqual([]);
    expect((await auditOf(person.externalId)).filter((entry) => entry.deliveryId === stale.id).map((entry) => [entry.outcome, entry.detail.split(':')[0]])).toEqual([['skipped', 'stale']]);
  });

  it('waits for a holder that stopped before saving until its lease runs out, then audits the writes it announced', async () => {
    const person = await hired();
    const member = runtime.bitwarden!.memberByExternalId(person.externalId)!;
    // An invocation announced a revocation and a regroup, audited the regroup, then stopped (killed, timed out) without saving or
    // releasing: its lease runs out in 1 s.
    const stopped = intentOf('stopped-holder', [{ kind: 'set-groups', memberId: member.id }, { kind: 'revoke', memberId: member.id }]);
    expect(await workers().lease(person.externalId, await workers().read(person.externalId), stopped, Date.now(), 1_000)).not.toBeNull();
    await new AuditLog(documentClient(), tableName(readEnvironment(), Tables.audit)).record([{ workerKey: person.externalId, at: stopped.at, deliveryId: stopped.deliveryId, provider: 'generic', eventType: 'worker.updated', outcome: 'applied', action: 'set-groups', memberId: member.id, detail: 'regrouped' }]);
    const termination = genericDelivery('worker.terminated', { ...person, status: 'terminated', terminationDate: new Date().toISOString().slice(0, 10) }, { secret: TEST_SECRET });
    const applied = runtime.processed(termination.id);
    expect((await runtime.post('generic', termination)).status).toBe(202);
    await applied;

    const trail = await auditOf(person.externalId);
    expect(trail.filter((entry) => entry.deliveryId === stopped.deliveryId).map((entry) => [entry.outcome, entry.action])).toEqual([['applied', 'set-groups'], ['attempted', 'revoke']]);
    expect(trail.find((entry) => entry.outcome === 'attempted')).toMatchObject({ at: stopped.at, memberId: member.id, detail: expect.stringMatching(/ended before it recorded whether Bitwarden made it/) });
    // It waited for the lease to run out rather than failing its first receive.
    expect(failures(person.externalId)).toEqual([]);
    expect(trail.filter((entry) => entry.deliveryId === termination.id).map((entry) => [entry.outcome, entry.action])).toEqual([['applied', 'revoke']]);
    expect((await workers().read(person.externalId)).intent).toBeNull();
  });
});
