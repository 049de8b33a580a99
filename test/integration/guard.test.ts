import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { approveHeldRevocations } from '../../lib/lifecycle/approve.js';
import { RevocationGuard } from '../../lib/lifecycle/guard.js';
import { documentClient } from '../../lib/runtime/aws.js';
import { eventPublisher } from '../../lib/runtime/dependencies.js';
import { AuditLog } from '../../lib/store/audit-log.js';
import { Tables } from '../../lib/store/tables.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { runCli } from '../support/cli.js';
import { genericDelivery, worker, type WorkerInput } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';

/** The mass-change guard (docs/design.md, decision 8), with a limit of 2 revocations or group removals per hour. */
const guardConfig = (release: 'admin' | 'rate') =>
  readFileSync('cdk/config/lifecycle.yaml', 'utf8').replace('policy:\n', `policy:\n  massRevocationGuard: { windowMinutes: 60, maxRevocations: 2, maxShareOfOrganization: null, release: ${release} }\n`);
let runtime: TestRuntime;
let now = new Date('2026-03-02T09:00:00Z');

beforeAll(async () => {
  runtime = await startTestRuntime(guardConfig('admin'), { clock: () => now });
});
afterAll(() => runtime?.stop());

const deliver = (type: Parameters<typeof genericDelivery>[0], record: WorkerInput) => runtime.deliver(type, record, { occurredAt: now.toISOString(), signedAt: now });
const guard = () => new RevocationGuard(documentClient(), tableName(readEnvironment(), Tables.guard), { windowMinutes: 60, maxRevocations: 2, maxShareOfOrganization: null, release: 'admin' }, async () => 100);
const auditOf = (workerKey: string) => new AuditLog(documentClient(), tableName(readEnvironment(), Tables.audit)).forWorker(workerKey);
const statusOf = (workerKey: string) => runtime.bitwarden!.memberByExternalId(workerKey)?.status;

describe('the mass-revocation guard', () => {
  const people = [worker(), worker(), worker(), worker()];

  it('holds revocations beyond the limit: not dropped, not dead-lettered, audited', async () => {
    for (const person of people) await deliver('worker.hired', person);
    now = new Date('2026-03-02T10:00:00Z');
    for (const person of people.slice(0, 3)) await deliver('worker.terminated', { ...person, status: 'terminated', terminationDate: '2026-03-02' });

    expect(people.slice(0, 3).map((person) => statusOf(person.externalId))).toEqual([MemberStatus.Revoked, MemberStatus.Revoked, MemberStatus.Invited]);
    const status = await guard().status(now);
    expect(status).toMatchObject({ revocationsInWindow: 2, limit: 2, held: [expect.objectContaining({ workerKey: people[2]!.externalId, approved: false })] });
    expect(await runtime.queueDepth()).toBe(0);
    const audit = await new AuditLog(documentClient(), tableName(readEnvironment(), Tables.audit)).forWorker(people[2]!.externalId);
    expect(audit.at(-1)).toMatchObject({ outcome: 'held', action: 'revoke', detail: expect.stringContaining('2 revocations and group removals in the last 60 min reach the limit of 2') });
  });

  it('keeps holding while the window is full: the sweeper releases nothing', async () => {
    expect((await runtime.sweep()).released).toBe(0);
    expect(statusOf(people[2]!.externalId)).toBe(MemberStatus.Invited);
  });

  it('shows what it holds through the CLI (npx lifecycle guard status)', async () => {
    expect((await runCli('guard', 'status')).json).toMatchObject({ limit: 2, held: [{ workerKey: people[2]!.externalId, approved: false }] });
  });

  it('goes ahead once an admin approves', async () => {
    const processed = runtime.processed((message) => message.workerKey === people[2]!.externalId && message.subject.kind === 'reevaluate');
    expect(await approveHeldRevocations(guard(), eventPublisher(readEnvironment()), 'it-admin@example.com', now)).toEqual([people[2]!.externalId]);
    await processed;
    expect(statusOf(people[2]!.externalId)).toBe(MemberStatus.Revoked);
    expect(await guard().status(now)).toMatchObject({ held: [], lastApproval: { by: 'it-admin@example.com', released: 1 } });
  });

  it('waits for an admin by default, even once the window has room again', async () => {
    await deliver('worker.terminated', { ...people[3]!, status: 'terminated', terminationDate: '2026-03-02' });
    expect(statusOf(people[3]!.externalId)).toBe(MemberStatus.Invited);
    now = new Date('2026-03-02T11:30:00Z');
    expect((await runtime.sweep()).released).toBe(0);
    expect(statusOf(people[3]!.externalId)).toBe(MemberStatus.Invited);
  });

  it('drops what an admin rejects: the member keeps access, and the trail says who decided (npx lifecycle guard reject --worker)', async () => {
    const { json } = await runCli<{ rejected: string[] }>('guard', 'reject', '--worker', people[3]!.externalId, '--by', 'ciso@example.com');
    expect(json.rejected).toEqual([people[3]!.externalId]);
    expect((await guard().status(now)).held).toEqual([]);
    expect((await runtime.sweep()).released).toBe(0);
    expect(statusOf(people[3]!.externalId)).toBe(MemberStatus.Invited);
    expect((await auditOf(people[3]!.externalId)).at(-1)).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('rejected by ciso@example.com') });
  });

  it('counts group removals too: a role change that empties a group past the limit is held until approved', async () => {
    now = new Date('2026-03-02T13:00:00Z');
    const engineers = [worker({ department: 'Engineering', jobTitle: 'Analyst' }), worker({ department: 'Engineering', jobTitle: 'Analyst' }), worker({ department: 'Engineering', jobTitle: 'Analyst' })];
    for (const person of engineers) await deliver('worker.hired', person);
    now = new Date('2026-03-02T15:00:00Z');
    for (const person of engineers) await deliver('worker.updated', { ...person, department: 'Sales' });
    const groups = engineers.map((person) => runtime.bitwarden!.memberByExternalId(person.externalId)?.groupNames);
    expect(groups).toEqual([['All Staff'], ['All Staff'], ['All Staff', 'Engineering']]);
    expect((await guard().status(now)).held).toEqual([expect.objectContaining({ workerKey: engineers[2]!.externalId, reason: expect.stringContaining('would set-groups') })]);
    expect((await auditOf(engineers[2]!.externalId)).at(-1)).toMatchObject({ outcome: 'held', action: 'set-groups' });

    const processed = runtime.processed((message) => message.workerKey === engineers[2]!.externalId && message.subject.kind === 'reevaluate');
    expect((await runCli<{ approved: string[] }>('guard', 'approve', '--worker', engineers[2]!.externalId, '--by', 'it-admin@example.com')).json.approved).toEqual([engineers[2]!.externalId]);
    await processed;
    expect(runtime.bitwarden!.memberByExternalId(engineers[2]!.externalId)?.groupNames).toEqual(['All Staff']);
  });

  it('forgets a hold when the worker is kept after all', async () => {
    now = new Date('2026-03-02T12:00:00Z');
    const staying = [worker(), worker(), worker()];
    for (const person of staying) await deliver('worker.hired', person);
    // An hour after the last revocation (11:30), the window is empty again.
    now = new Date('2026-03-02T12:40:00Z');
    for (const person of staying) await deliver('worker.terminated', { ...person, status: 'terminated', terminationDate: '2026-03-02' });
    expect((await guard().status(now)).held.map((item) => item.workerKey)).toEqual([staying[2]!.externalId]);
    now = new Date('2026-03-02T12:50:00Z');
    await deliver('worker.updated', { ...staying[2]!, status: 'active', terminationDate: null });
    expect((await guard().status(now)).held).toEqual([]);
    expect(statusOf(staying[2]!.externalId)).toBe(MemberStatus.Invited);
  });

  it('drops a hold the worker\'s state never recorded (a crash between the hold and the save) once the revocation goes ahead', async () => {
    now = new Date('2026-03-02T14:00:00Z');
    const leaver = worker();
    await deliver('worker.hired', leaver);
    await guard().hold(leaver.externalId, now, 'held by an invocation that crashed before saving');
    await deliver('worker.terminated', { ...leaver, status: 'terminated', terminationDate: '2026-03-02' });
    expect(statusOf(leaver.externalId)).toBe(MemberStatus.Revoked);
    expect((await guard().status(now)).held).toEqual([]);
  });

  it('drops an approved hold whose revocation was made already, so the sweeper releases it once, not on every run', async () => {
    now = new Date('2026-03-02T14:10:00Z');
    const leaver = worker();
    await deliver('worker.hired', leaver);
    await deliver('worker.terminated', { ...leaver, status: 'terminated', terminationDate: '2026-03-02' });
    expect(statusOf(leaver.externalId)).toBe(MemberStatus.Revoked);
    // Left by an invocation that crashed after the revoke, then approved by an admin.
    await guard().hold(leaver.externalId, now, 'held by an invocation that crashed after revoking');
    expect(await guard().approve('it-admin@example.com', now, leaver.externalId)).toEqual([leaver.externalId]);
    const reevaluated = runtime.processed((message) => message.workerKey === leaver.externalId && message.subject.kind === 'reevaluate');
    expect((await runtime.sweep()).released).toBe(1);
    await reevaluated;
    expect((await guard().status(now)).held).toEqual([]);
    expect((await runtime.sweep()).released).toBe(0);
  });
});

describe('the guard with release: rate', () => {
  const people = [worker(), worker(), worker()];
  let rated: TestRuntime;
  beforeAll(async () => {
    now = new Date('2026-03-03T09:00:00Z');
    rated = await startTestRuntime(guardConfig('rate'), { clock: () => now });
  });
  afterAll(() => rated?.stop());

  it('also releases what it holds by itself once the window has room again', async () => {
    const send = async (type: Parameters<typeof genericDelivery>[0], record: WorkerInput) => {
      const delivery = genericDelivery(type, record, { secret: TEST_SECRET, occurredAt: now.toISOString(), signedAt: now });
      const processed = rated.processed(delivery.id);
      expect((await rated.post('generic', delivery)).status).toBe(202);
      await processed;
    };
    for (const person of people) await send('worker.hired', person);
    for (const person of people) await send('worker.terminated', { ...person, status: 'terminated', terminationDate: '2026-03-03' });
    expect(rated.bitwarden!.memberByExternalId(people[2]!.externalId)?.status).toBe(MemberStatus.Invited);
    now = new Date('2026-03-03T10:30:00Z');
    const processed = rated.processed((message) => message.workerKey === people[2]!.externalId && message.subject.kind === 'reevaluate');
    expect((await rated.sweep()).released).toBe(1);
    await processed;
    expect(rated.bitwarden!.memberByExternalId(people[2]!.externalId)?.status).toBe(MemberStatus.Revoked);
  });
});
