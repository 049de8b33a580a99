import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { documentClient } from '../../lib/runtime/aws.js';
import { Tables } from '../../lib/store/tables.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { WorkerStateStore } from '../../lib/store/worker-state.js';
import { genericDelivery, worker, type WorkerInput } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';
import { contractViolations } from '../support/openapi-contract.js';

/** Time as part of the desired state, on the real local services with a clock the tests move. */
let runtime: TestRuntime;
let now = new Date('2026-05-01T12:00:00Z');
const setClock = (iso: string) => (now = new Date(iso));

beforeAll(async () => {
  runtime = await startTestRuntime(undefined, { clock: () => now });
});
afterAll(() => runtime?.stop());
afterEach(() => expect(contractViolations(runtime.bitwarden!.exchanges)).toEqual([]));

const deliver = (type: Parameters<typeof genericDelivery>[0], record: WorkerInput) => runtime.deliver(type, record, { occurredAt: now.toISOString(), signedAt: now });

/** Runs the sweeper and waits until the worker has re-evaluated `workerKey`. */
async function sweepFor(workerKey: string): Promise<void> {
  const processed = runtime.processed((message) => message.workerKey === workerKey && message.subject.kind === 'reevaluate');
  expect((await runtime.sweep()).due).toBeGreaterThanOrEqual(1);
  await processed;
}

const member = (workerKey: string) => runtime.bitwarden!.memberByExternalId(workerKey);
const stateOf = (workerKey: string) => new WorkerStateStore(documentClient(), tableName(readEnvironment(), Tables.workers)).get(workerKey);

describe('time makes decisions change without any event', () => {
  it('revokes a contractor when its end date passes, through the sweeper', async () => {
    setClock('2026-05-01T12:00:00Z');
    const contractor = worker({ employmentType: 'contractor', endDate: '2026-05-10' });
    await deliver('worker.hired', contractor);
    expect(member(contractor.externalId)?.status).toBe(MemberStatus.Invited);
    expect((await stateOf(contractor.externalId))?.reevaluateAt).toBe('2026-05-11T00:00:00.000Z');

    setClock('2026-05-10T23:59:00Z');
    const early = await runtime.sweep();
    expect(early.due).toBe(0);

    setClock('2026-05-11T00:00:30Z');
    await sweepFor(contractor.externalId);
    expect(member(contractor.externalId)?.status).toBe(MemberStatus.Revoked);
    expect((await stateOf(contractor.externalId))?.reevaluateAt).toBeNull();
    expect((await runtime.sweep()).due).toBe(0);
  });

  it('does not revoke a contractor whose end date was extended before it passed', async () => {
    setClock('2026-06-01T12:00:00Z');
    const contractor = worker({ employmentType: 'contractor', endDate: '2026-06-10' });
    await deliver('worker.hired', contractor);
    setClock('2026-06-09T12:00:00Z');
    await deliver('worker.updated', { ...contractor, endDate: '2026-07-31' });
    expect((await stateOf(contractor.externalId))?.reevaluateAt).toBe('2026-08-01T00:00:00.000Z');

    setClock('2026-06-11T00:00:00Z');
    expect((await runtime.sweep()).due).toBe(0);
    expect(member(contractor.externalId)?.status).toBe(MemberStatus.Invited);
  });

  it('keeps access until a future termination takes effect, then revokes at its instant', async () => {
    setClock('2026-07-01T12:00:00Z');
    const leaver = worker({ department: 'Finance' });
    await deliver('worker.hired', leaver);
    setClock('2026-07-02T12:00:00Z');
    await deliver('worker.terminated', { ...leaver, terminationDate: '2026-07-05' });
    expect(member(leaver.externalId)?.status).toBe(MemberStatus.Invited);

    setClock('2026-07-06T00:00:05Z');
    await sweepFor(leaver.externalId);
    expect(member(leaver.externalId)?.status).toBe(MemberStatus.Revoked);
  });

  it('restores a rehired worker: the same member, regrouped, never a second invite', async () => {
    setClock('2026-08-01T12:00:00Z');
    const person = worker({ department: 'Finance' });
    await deliver('worker.hired', person);
    const original = member(person.externalId)!;
    setClock('2026-08-02T12:00:00Z');
    await deliver('worker.terminated', { ...person, status: 'terminated', terminationDate: '2026-08-02' });
    expect(member(person.externalId)?.status).toBe(MemberStatus.Revoked);

    runtime.bitwarden!.clearRequests();
    setClock('2026-09-01T12:00:00Z');
    await deliver('worker.hired', { ...person, department: 'Engineering', terminationDate: null, status: 'active' });
    expect(runtime.bitwarden!.writes().map((exchange) => `${exchange.method} ${exchange.route}`)).toEqual(['POST /public/members/{id}/restore', 'PUT /public/members/{id}/group-ids']);
    expect(member(person.externalId)).toMatchObject({ id: original.id, status: MemberStatus.Invited, groupNames: ['All Staff', 'Engineering', 'Production Access'] });
    expect(runtime.bitwarden!.allMembers().filter((candidate) => candidate.externalId === person.externalId)).toHaveLength(1);
  });
});

describe('the urgent lane', () => {
  it('revokes while the normal lane is stalled behind a backlog', async () => {
    setClock('2026-10-01T12:00:00Z');
    const leaver = worker();
    await deliver('worker.hired', leaver);
    await runtime.workers.events.stop();
    try {
      // A backlog of hires waits on the normal lane...
      for (let index = 0; index < 5; index++) {
        const hire = genericDelivery('worker.hired', worker(), { secret: TEST_SECRET, occurredAt: now.toISOString(), signedAt: now });
        expect((await runtime.post('generic', hire)).status).toBe(202);
      }
      // ...and the termination goes through anyway.
      await deliver('worker.terminated', { ...leaver, status: 'terminated', terminationDate: '2026-10-01' });
      expect(member(leaver.externalId)?.status).toBe(MemberStatus.Revoked);
    } finally {
      runtime.workers.events.start();
    }
  });
});
