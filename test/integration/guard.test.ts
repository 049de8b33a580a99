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

/** The mass-revocation guard (docs/design.md, decision 8), with a limit of 2 revocations per hour. */
const config = readFileSync('cdk/config/lifecycle.yaml', 'utf8').replace('policy:\n', 'policy:\n  massRevocationGuard: { windowMinutes: 60, maxRevocations: 2, maxShareOfOrganization: null }\n');
let runtime: TestRuntime;
let now = new Date('2026-03-02T09:00:00Z');

beforeAll(async () => {
  runtime = await startTestRuntime(config, { clock: () => now });
});
afterAll(() => runtime?.stop());

async function deliver(type: Parameters<typeof genericDelivery>[0], record: WorkerInput): Promise<void> {
  const delivery = genericDelivery(type, record, { secret: TEST_SECRET, occurredAt: now.toISOString(), signedAt: now });
  const processed = runtime.processed(delivery.id);
  expect((await runtime.post('generic', delivery)).status).toBe(202);
  await processed;
}
const guard = () => new RevocationGuard(documentClient(), tableName(readEnvironment(), Tables.guard), { windowMinutes: 60, maxRevocations: 2, maxShareOfOrganization: null }, async () => 100);
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
    expect(audit.at(-1)).toMatchObject({ outcome: 'held', action: 'revoke', detail: expect.stringContaining('2 revocations in the last 60 min reach the limit of 2') });
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

  it('goes ahead by itself when the window has room again (e.g. the limit was raised, or time passed)', async () => {
    await deliver('worker.terminated', { ...people[3]!, status: 'terminated', terminationDate: '2026-03-02' });
    expect(statusOf(people[3]!.externalId)).toBe(MemberStatus.Invited);
    now = new Date('2026-03-02T11:30:00Z');
    const processed = runtime.processed((message) => message.workerKey === people[3]!.externalId && message.subject.kind === 'reevaluate');
    expect((await runtime.sweep()).released).toBe(1);
    await processed;
    expect(statusOf(people[3]!.externalId)).toBe(MemberStatus.Revoked);
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
});
