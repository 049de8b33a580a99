import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { documentClient } from '../../lib/runtime/aws.js';
import { AuditLog } from '../../lib/store/audit-log.js';
import { Tables } from '../../lib/store/tables.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { genericDelivery, worker, type SignedDelivery, type WorkerInput } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';
import { contractViolations } from '../support/openapi-contract.js';

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.stop();
});
beforeEach(() => runtime.bitwarden!.clearRequests());
// Every request the product sent and every answer the emulator gave must match Bitwarden's OpenAPI document.
afterEach(() => expect(contractViolations(runtime.bitwarden!.exchanges)).toEqual([]));

type EventType = Parameters<typeof genericDelivery>[0];

/** Posts a delivery and waits until the worker has processed it. */
async function post(delivery: SignedDelivery): Promise<void> {
  const processed = runtime.processed(delivery.id);
  const response = await runtime.post('generic', delivery);
  expect(response.status).toBe(202);
  await processed;
}

async function deliver(type: EventType, record: WorkerInput, occurredAt: string): Promise<SignedDelivery> {
  const delivery = genericDelivery(type, record, { secret: TEST_SECRET, occurredAt });
  await post(delivery);
  return delivery;
}

const bitwarden = () => runtime.bitwarden!;
const writes = () => bitwarden().writes().map((request) => `${request.method} ${request.route}`);
const auditOf = (workerKey: string) => new AuditLog(documentClient(), tableName(readEnvironment(), Tables.audit)).forWorker(workerKey);

describe('the pipeline, through the real handlers on the real local services', () => {
  it('invites a hire once, carrying the mapped groups and externalId = worker key', async () => {
    const hire = worker({ department: 'Engineering', jobTitle: 'Site Reliability Engineer' });
    await deliver('worker.hired', hire, '2026-01-05T09:00:00Z');

    expect(writes()).toEqual(['POST /public/members']);
    const invite = bitwarden().writes()[0]!;
    expect(invite.status).toBe(200);
    expect(invite.body).toMatchObject({ email: hire.workEmail, externalId: hire.externalId, type: 2 });
    const member = bitwarden().memberByExternalId(hire.externalId)!;
    expect(member.status).toBe(MemberStatus.Invited);
    expect(member.groupNames).toEqual(['All Staff', 'Engineering', 'Production Access']);
  });

  it('regroups a role change with one group-ids PUT and nothing else, leaving unmanaged groups alone', async () => {
    const person = worker({ department: 'Engineering', jobTitle: 'Software Engineer' });
    await deliver('worker.hired', person, '2026-01-05T09:00:00Z');
    // An admin put this member in a group no rule names: the product must never take it away.
    const breakGlass = bitwarden().addGroup('Break Glass');
    bitwarden().addToGroup(bitwarden().memberByExternalId(person.externalId)!.id, breakGlass.id);
    bitwarden().clearRequests();

    await deliver('worker.updated', { ...person, department: 'Finance', jobTitle: 'Accountant' }, '2026-02-01T09:00:00Z');

    expect(writes()).toEqual(['PUT /public/members/{id}/group-ids']);
    expect(bitwarden().memberByExternalId(person.externalId)!.groupNames).toEqual(['All Staff', 'Break Glass', 'Finance']);
  });

  it('revokes a termination dated today or earlier with one call, keeping the memberships for a rehire', async () => {
    const person = worker({ department: 'Finance' });
    await deliver('worker.hired', person, '2026-01-05T09:00:00Z');
    bitwarden().clearRequests();

    const today = new Date().toISOString().slice(0, 10);
    await deliver('worker.terminated', { ...person, status: 'terminated', terminationDate: today }, '2026-03-01T09:00:00Z');

    expect(writes()).toEqual(['POST /public/members/{id}/revoke']);
    const member = bitwarden().memberByExternalId(person.externalId)!;
    expect(member.status).toBe(MemberStatus.Revoked);
    expect(member.groupNames).toEqual(['All Staff', 'Finance']);
  });

  it('makes no second write for the same delivery sent twice, or the same change under a new delivery id', async () => {
    const person = worker();
    const hire = await deliver('worker.hired', person, '2026-01-05T09:00:00Z');
    expect(writes()).toHaveLength(1);

    // The same delivery again (a provider retry): acknowledged as a duplicate, nothing enqueued.
    expect(await runtime.post('generic', hire)).toEqual({ status: 200, body: { accepted: 0, duplicate: true, deliveryId: hire.id } });
    expect(await runtime.queueDepth()).toBe(0);
    // The same change as a new delivery: the worker recognizes it and skips it.
    const resent = genericDelivery('worker.hired', person, { secret: TEST_SECRET, occurredAt: '2026-01-05T09:00:00Z' });
    await post(resent);

    expect(writes()).toHaveLength(1);
    const skipped = (await auditOf(person.externalId)).filter((entry) => entry.outcome === 'skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ deliveryId: resent.id, detail: expect.stringContaining('duplicate') });
  });

  it('never lets a hire delivered late undo a newer termination', async () => {
    const person = worker();
    await deliver('worker.hired', person, '2026-01-05T09:00:00Z');
    await deliver('worker.terminated', { ...person, status: 'terminated', terminationDate: '2026-03-01' }, '2026-03-01T09:00:00Z');
    bitwarden().clearRequests();

    const late = await deliver('worker.hired', person, '2026-01-04T09:00:00Z');

    expect(writes()).toEqual([]);
    expect(bitwarden().memberByExternalId(person.externalId)!.status).toBe(MemberStatus.Revoked);
    const audit = await auditOf(person.externalId);
    expect(audit.find((entry) => entry.deliveryId === late.id)).toMatchObject({ outcome: 'skipped', detail: expect.stringContaining('stale') });
  });

  it('does not invite a worker whose termination arrives before any hire, nor when the hire comes late', async () => {
    const person = worker();
    await deliver('worker.terminated', { ...person, status: 'terminated', terminationDate: '2026-03-01' }, '2026-03-01T09:00:00Z');
    await deliver('worker.hired', person, '2026-01-05T09:00:00Z');
    expect(writes()).toEqual([]);
    expect(bitwarden().memberByExternalId(person.externalId)).toBeUndefined();
  });

  it('links an existing member by e-mail instead of inviting a second time, keeping its collections', async () => {
    const person = worker();
    const collection = bitwarden().organization.addCollection();
    const access = { id: collection, readOnly: true, hidePasswords: false, manage: false };
    const existing = bitwarden().addMember({ email: person.workEmail!.toUpperCase(), status: MemberStatus.Confirmed, collections: [access] });
    await deliver('worker.hired', person, '2026-01-05T09:00:00Z');

    // The member index trusts a miss on a listing under a minute old (lib/sync/member-index.ts): the invite Bitwarden refuses
    // is what tells the worker of a member added by hand since, and it links that member instead.
    const sent = bitwarden().writes();
    expect(sent.map((request) => `${request.method} ${request.route} ${request.status}`)).toEqual(['POST /public/members 400', 'PUT /public/members/{id} 200', 'PUT /public/members/{id}/group-ids 200']);
    expect(sent[1]!.body).toEqual({ type: 2, externalId: person.externalId, collections: [access] });
    expect(bitwarden().allMembers().find((member) => member.id === existing.id)).toMatchObject({ externalId: person.externalId, collections: [access] });
    expect(bitwarden().allMembers().filter((member) => member.email === person.workEmail)).toHaveLength(1);
    expect(bitwarden().allMembers().find((member) => member.id === existing.id)!.groupNames).toEqual(['All Staff', 'Engineering', 'Production Access']);
  });

  it('writes an audit record for every Bitwarden write', async () => {
    const person = worker({ department: 'Engineering' });
    await deliver('worker.hired', person, '2026-01-05T09:00:00Z');
    await deliver('worker.updated', { ...person, department: 'Finance' }, '2026-02-01T09:00:00Z');
    await deliver('worker.terminated', { ...person, department: 'Finance', status: 'terminated', terminationDate: '2026-03-01' }, '2026-03-01T09:00:00Z');

    const applied = (await auditOf(person.externalId)).filter((entry) => entry.outcome === 'applied' && entry.action !== 'none');
    expect(applied.map((entry) => entry.action)).toEqual(['invite', 'set-groups', 'revoke']);
    expect(applied.every((entry) => entry.memberId === applied[0]!.memberId)).toBe(true);
    expect(writes()).toHaveLength(3);
  });
});

describe('refused deliveries change nothing', () => {
  const refusals: Array<[string, (delivery: SignedDelivery) => { provider?: string; headers?: Record<string, string>; body?: string }, number, RegExp]> = [
    ['a wrong signature', (delivery) => ({ headers: { ...delivery.headers, 'webhook-signature': 'v1,' + Buffer.alloc(32, 7).toString('base64') } }), 401, /does not match/],
    ['a body changed after signing', (delivery) => ({ body: delivery.body.replace('Engineering', 'Engineerinh') }), 401, /does not match/],
    ['a missing signature header', (delivery) => ({ headers: Object.fromEntries(Object.entries(delivery.headers).filter(([name]) => name !== 'webhook-signature')) }), 401, /missing webhook-signature/],
    ['a timestamp ten minutes old', () => ({ ...genericDelivery('worker.hired', worker(), { secret: TEST_SECRET, signedAt: new Date(Date.now() - 600_000) }) }), 401, /webhook-timestamp/],
    ['an unknown provider', () => ({ provider: 'workday' }), 404, /no provider "workday"/],
  ];

  it.each(refusals)('answers %s with a precise error and enqueues nothing', async (_case, change, status, message) => {
    const delivery = genericDelivery('worker.hired', worker(), { secret: TEST_SECRET });
    const changed = change(delivery);
    const response = await runtime.post(changed.provider ?? 'generic', { headers: changed.headers ?? delivery.headers, body: changed.body ?? delivery.body });
    expect(response.status).toBe(status);
    expect(response.body.error).toMatch(message);
    expect(await runtime.queueDepth()).toBe(0);
    expect(bitwarden().requests).toEqual([]);
  });

  it('answers an invalid body with 400 naming the field, and enqueues nothing', async () => {
    const delivery = genericDelivery('worker.hired', { ...worker(), workEmail: 'not-an-email' }, { secret: TEST_SECRET });
    const response = await runtime.post('generic', delivery);
    expect(response).toEqual({ status: 400, body: { error: expect.stringMatching(/^data\.worker\.workEmail: must be an e-mail address/) } });
    expect(await runtime.queueDepth()).toBe(0);
  });

  it('answers a body over 256 KiB with 413, and enqueues nothing', async () => {
    const delivery = genericDelivery('worker.hired', worker({ displayName: 'x'.repeat(300 * 1024) }), { secret: TEST_SECRET });
    const response = await runtime.post('generic', delivery);
    expect(response.status).toBe(413);
    expect(await runtime.queueDepth()).toBe(0);
  });
});
