import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { runCli } from '../support/cli.js';
import { genericDelivery, worker, type WorkerInput } from '../support/generic-events.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/**
 * Identity is the HR worker id; e-mail is only a first-link hint (docs/design.md, decision 3).
 * A validly signed event must never reach the wrong person, and a sender's clock must never
 * freeze a worker.
 */
type AuditEntry = { outcome: string; action: string; detail: string; deliveryId: string };

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime?.stop());

const deliver = (type: Parameters<typeof genericDelivery>[0], record: WorkerInput, occurredAt = new Date().toISOString()) => runtime.deliver(type, record, { occurredAt });
const audit = async (workerKey: string) => (await runCli<AuditEntry[]>('audit', workerKey)).json;
const memberOf = (externalId: string) => runtime.bitwarden!.memberByExternalId(externalId);
const later = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

describe('a member linked to an active worker', () => {
  const owner = worker({ department: 'Engineering' });
  const stranger = worker({ workEmail: owner.workEmail!.toUpperCase() });

  it('is never matched by e-mail: a termination for another id carrying the same e-mail revokes nobody', async () => {
    await deliver('worker.hired', owner);
    const delivery = await deliver('worker.terminated', { ...stranger, status: 'terminated', terminationDate: '2026-01-01' });
    expect(memberOf(owner.externalId!)?.status).toBe(MemberStatus.Invited);
    expect(runtime.bitwarden!.writes().filter((write) => write.path.endsWith('/revoke'))).toEqual([]);
    const refused = (await audit(stranger.externalId!)).filter((entry) => entry.deliveryId === delivery);
    expect(refused).toEqual([expect.objectContaining({ outcome: 'blocked', detail: expect.stringContaining(`linked to active worker ${owner.externalId}`) })]);
  });

  it('is shown as a collision by reconcile and status', async () => {
    const drift = (await runCli<{ drift: Array<{ kind: string; workerKey: string }> }>('reconcile')).json.drift;
    expect(drift.filter((item) => item.kind === 'identity-collision').map((item) => item.workerKey)).toEqual([stranger.externalId]);
    const status = (await runCli<{ collision: { ownerWorkerKey: string } | null; member: unknown }>('status', stranger.externalId!)).json;
    expect(status).toMatchObject({ collision: { ownerWorkerKey: owner.externalId }, member: null });
  });
});

describe('a rehire under a new worker id', () => {
  const leaver = worker({ department: 'Sales', jobTitle: 'Account Executive' });
  const rehire = worker({ workEmail: leaver.workEmail, department: 'Engineering', jobTitle: 'Analyst' });

  it('takes over the terminated worker’s member: restored, regrouped, its externalId moved, both trails say so', async () => {
    await deliver('worker.hired', leaver);
    await deliver('worker.terminated', { ...leaver, status: 'terminated', terminationDate: '2026-01-01' });
    const original = memberOf(leaver.externalId!)!;
    expect(original.status).toBe(MemberStatus.Revoked);

    await deliver('worker.hired', rehire);
    expect(memberOf(leaver.externalId!)).toBeUndefined();
    expect(memberOf(rehire.externalId!)).toMatchObject({ id: original.id, status: MemberStatus.Invited, groupNames: ['All Staff', 'Engineering'] });
    expect((await audit(rehire.externalId!)).map((entry) => entry.detail)).toContainEqual(expect.stringContaining(`took over the member of terminated worker ${leaver.externalId}`));
    expect((await audit(leaver.externalId!)).map((entry) => entry.detail)).toContainEqual(expect.stringContaining(`member moved to worker ${rehire.externalId}`));
  });

  it('is never touched again by the old worker’s events', async () => {
    const delivery = await deliver('worker.updated', { ...leaver, status: 'terminated', terminationDate: '2026-01-01', jobTitle: 'Former' }, later(5));
    expect(memberOf(rehire.externalId!)?.status).toBe(MemberStatus.Invited);
    expect((await audit(leaver.externalId!)).filter((entry) => entry.deliveryId === delivery).map((entry) => entry.outcome)).toEqual(['blocked']);
  });
});

describe('a sender-controlled event time', () => {
  const person = worker();

  it('cannot lock a worker: a hire dated 2099 is ordered at its receipt, says so, and the termination after it applies', async () => {
    const hire = await deliver('worker.hired', person, '2099-01-01T00:00:00Z');
    expect((await audit(person.externalId!)).find((entry) => entry.deliveryId === hire && entry.outcome === 'applied')?.detail).toMatch(/event time 2099-01-01T00:00:00Z is after its receipt; ordered as \d{4}-/);
    await deliver('worker.terminated', { ...person, status: 'terminated', terminationDate: '2026-01-01' });
    expect(memberOf(person.externalId!)?.status).toBe(MemberStatus.Revoked);
  });

  it('keeps the record’s own future dates as they are', async () => {
    const contractor = worker({ employmentType: 'contractor', endDate: '2099-12-30' });
    await deliver('worker.hired', contractor);
    const status = (await runCli<{ state: { record: { endDate: string }; reevaluateAt: string } }>('status', contractor.externalId!)).json;
    expect(status.state.record.endDate).toBe('2099-12-30');
    expect(status.state.reevaluateAt).toMatch(/^2099-12-3/);
  });
});
