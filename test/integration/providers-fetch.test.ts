import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { allProvidersConfig } from '../support/fixtures.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';
import { contractViolations } from '../support/openapi-contract.js';
import { sign, type Scheme } from '../support/sign.js';

/** Thin events: the worker reads the current record from the provider's API before deciding. */
let runtime: TestRuntime;
const secrets: Record<string, string> = { bamboohr: 'bamboo-key', hibob: 'bob-secret', merge: 'merge-key', finch: Buffer.from('finch-secret').toString('base64') };

beforeAll(async () => {
  for (const [provider, secret] of Object.entries(secrets)) process.env[`${provider.toUpperCase()}_WEBHOOK_SECRET`] = secret;
  runtime = await startTestRuntime(allProvidersConfig);
});
afterAll(() => runtime?.stop());
afterEach(() => expect(contractViolations(runtime.bitwarden!.exchanges)).toEqual([]));

/** Signs `body` as `provider` does, posts it, and waits until the worker has processed it. */
async function deliver(provider: string, body: unknown): Promise<void> {
  const text = JSON.stringify(body);
  const headers = sign(provider as Scheme, text, secrets[provider]!, Math.floor(Date.now() / 1000));
  const response = await fetch(`${runtime.url}/webhooks/${provider}`, { method: 'POST', headers, body: text });
  const answer = (await response.json()) as { deliveryId: string };
  expect(response.status).toBe(202);
  await runtime.processed(answer.deliveryId);
}
const member = (externalId: string) => runtime.bitwarden!.memberByExternalId(externalId);
const iso = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();

describe('thin events fetch the record from the provider', () => {
  it('HiBob: employee.joined reads the person and invites with the mapped groups', async () => {
    const id = `bob-${randomUUID().slice(0, 8)}`;
    runtime.sourceApis.records('hibob').set(id, { id, firstName: 'Ada', surname: 'L', email: `${id}@example.com`, work: { title: 'Engineer', department: 'Engineering', site: 'Berlin', startDate: '2026-01-05' }, internal: { status: 'Active' } });
    await deliver('hibob', { companyId: 1, type: 'employee.joined', triggeredBy: 'system', triggeredAt: iso().replace('Z', ''), version: 'v2', data: { employeeId: id } });
    expect(member(id)).toMatchObject({ email: `${id}@example.com`, status: MemberStatus.Invited, groupNames: ['All Staff', 'Engineering'] });
  });

  it('retries a failed fetch through the queue, then applies it', async () => {
    const id = `bob-${randomUUID().slice(0, 8)}`;
    runtime.sourceApis.records('hibob').set(id, { id, email: `${id}@example.com`, work: { department: 'Sales' }, internal: { status: 'Active' } });
    runtime.sourceApis.calls.length = 0;
    runtime.sourceApis.failNext(503);
    await deliver('hibob', { companyId: 1, type: 'employee.created', triggeredBy: 'x', triggeredAt: iso().replace('Z', ''), version: 'v2', data: { employeeId: id } });
    expect(runtime.sourceApis.calls.map((request) => request.status)).toEqual([503, 200]);
    expect(member(id)?.groupNames).toEqual(['All Staff']);
  });

  it('Finch: a termination visible only in the fetched employment revokes', async () => {
    const id = randomUUID();
    const employment = { first_name: 'Fin', last_name: 'C', title: 'Analyst', department: { name: 'Engineering' }, employment: { type: 'employee', subtype: 'full_time' }, is_active: true, start_date: '2025-01-06', end_date: null };
    runtime.sourceApis.records('finch').set(id, { employment, individual: { emails: [{ data: `${id}@example.com`, type: 'work' }] } });
    await deliver('finch', { company_id: 'c', connection_id: 'x', entity_id: null, event_type: 'employment.created', data: { individual_id: id } });
    expect(member(id)?.status).toBe(MemberStatus.Invited);

    runtime.sourceApis.records('finch').set(id, { employment: { ...employment, is_active: false, end_date: '2026-01-31' }, individual: { emails: [{ data: `${id}@example.com`, type: 'work' }] } });
    await deliver('finch', { company_id: 'c', connection_id: 'x', entity_id: null, event_type: 'employment.updated', data: { individual_id: id } });
    expect(member(id)?.status).toBe(MemberStatus.Revoked);
  });

  it('Merge: an Employment event fetches its employee, expanded, and maps contractors', async () => {
    const id = randomUUID();
    runtime.sourceApis.records('merge').set(id, {
      id, remote_id: 'WD-1', first_name: 'Mo', last_name: 'R', work_email: `${id}@example.com`, employment_status: 'ACTIVE',
      employments: [{ job_title: 'Old Title', employment_type: 'FULL_TIME', effective_date: '2024-01-01T00:00:00Z' }, { job_title: 'Consultant', employment_type: 'CONTRACTOR', effective_date: '2026-01-01T00:00:00Z' }],
      groups: [{ name: 'Engineering', type: 'DEPARTMENT' }], work_location: { name: 'Remote' },
    });
    await deliver('merge', { hook: { id: 'h', event: 'Employment.added', target: 't' }, linked_account: {}, data: { id: randomUUID(), employee: id, job_title: 'Consultant', modified_at: iso() } });
    expect(member(id)?.groupNames).toEqual(['All Staff', 'Contractors', 'Engineering']);
  });

  it('BambooHR: a worker the API no longer has (404) is revoked, as policy.onWorkerRemoved says', async () => {
    const id = String(Math.floor(Math.random() * 1e9));
    await deliver('bamboohr', { employees: [{ action: 'Updated', id, timestamp: iso(-5000).replace('Z', '+0000'), fields: { 'Work Email': `b${id}@example.com`, Department: 'Engineering', Status: 'Active' } }] });
    expect(member(id)?.status).toBe(MemberStatus.Invited);
    await deliver('bamboohr', { type: 'employee.updated', timestamp: iso().replace(/\.\d+Z$/, '+0000'), data: { companyId: '1', employeeId: id, changedFields: ['status'] } });
    expect(runtime.sourceApis.calls.at(-1)).toMatchObject({ source: 'bamboohr', status: 404 });
    expect(member(id)?.status).toBe(MemberStatus.Revoked);
  });

  it('a deleted record (Finch employment.deleted) revokes without a fetch', async () => {
    const id = randomUUID();
    runtime.sourceApis.records('finch').set(id, { employment: { is_active: true, department: { name: 'Sales' } }, individual: { emails: [{ data: `${id}@example.com`, type: 'work' }] } });
    await deliver('finch', { event_type: 'employment.created', data: { individual_id: id } });
    const before = runtime.sourceApis.calls.length;
    await deliver('finch', { event_type: 'employment.deleted', data: { individual_id: id } });
    expect(runtime.sourceApis.calls.length).toBe(before);
    expect(member(id)?.status).toBe(MemberStatus.Revoked);
  });
});
