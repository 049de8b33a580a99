import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { reevaluation } from '../../lib/queue/message.js';
import { sqsClient } from '../../lib/runtime/aws.js';
import { loadConfigFile } from '../../lib/config/load.js';
import { bitwardenClient } from '../../lib/runtime/dependencies.js';
import { readEnvironment } from '../../lib/runtime/env.js';
import { runCli } from '../support/cli.js';
import { genericDelivery, worker, type WorkerInput } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';

/** Every admin command through the real binary (npx lifecycle), on the real local services. */
let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime?.stop());

async function deliver(type: Parameters<typeof genericDelivery>[0], record: WorkerInput) {
  const delivery = genericDelivery(type, record, { secret: TEST_SECRET });
  const processed = runtime.processed(delivery.id);
  expect((await runtime.post('generic', delivery)).status).toBe(202);
  await processed;
}
const member = (key: string) => runtime.bitwarden!.memberByExternalId(key)!;

describe('npx lifecycle', () => {
  const [a, b, c, e] = [worker({ department: 'Engineering', jobTitle: 'Analyst' }), worker({ department: 'Sales' }), worker({ department: 'Sales' }), worker({ department: 'Sales' })];
  let handMade = '';

  beforeAll(async () => {
    for (const person of [a, b, c, e]) await deliver('worker.hired', person);
    await deliver('worker.terminated', { ...c, status: 'terminated', terminationDate: '2026-01-01' });
    // Admins act in Bitwarden by hand, through its API:
    const admin = bitwardenClient(readEnvironment(), loadConfigFile(readEnvironment().LIFECYCLE_CONFIG));
    const groups = await admin.listGroups();
    const id = (name: string) => groups.find((group) => group.name === name)!.id;
    await admin.setMemberGroupIds(member(a.externalId).id, [id('All Staff'), id('Engineering'), id('Finance')]); // extra-membership
    await admin.setMemberGroupIds(member(b.externalId).id, []); // missing-membership
    await admin.restoreMember(member(c.externalId).id); // active-but-terminated
    await admin.deleteMember(member(e.externalId).id); // missing-invite
    handMade = (await admin.inviteMember({ email: 'contractor-by-hand@example.com', type: 2, externalId: '', groups: [] })).id; // member-without-worker
  });

  it('reconcile: reports drift by kind', async () => {
    const { json } = await runCli<{ counts: Record<string, number>; drift: Array<{ kind: string; workerKey: string | null }> }>('reconcile');
    expect(json.counts).toEqual({ 'active-but-terminated': 1, 'missing-invite': 1, 'extra-membership': 1, 'missing-membership': 1, 'member-without-worker': 1, 'invite-not-accepted': 0, 'identity-collision': 0, 'hr-not-applied': 0, 'absent-from-hr': 0 });
    expect(json.drift.map((item) => [item.kind, item.workerKey]).sort()).toEqual(
      [['active-but-terminated', c.externalId], ['extra-membership', a.externalId], ['member-without-worker', null], ['missing-invite', e.externalId], ['missing-membership', b.externalId]].sort(),
    );
  });

  it('reconcile --apply: corrects what the policy allows through the worker, and leaves unexplained members alone', async () => {
    const settled = Promise.all([a, b, c, e].map((person) => runtime.processed((message) => message.workerKey === person.externalId && message.subject.kind === 'reevaluate')));
    const { json } = await runCli<{ corrected: string[] }>('reconcile', '--apply');
    expect(json.corrected.sort()).toEqual([a, b, c, e].map((person) => person.externalId).sort());
    await settled;
    expect(member(a.externalId).groupNames).toEqual(['All Staff', 'Engineering']);
    expect(member(b.externalId).groupNames).toEqual(['All Staff']);
    expect(member(c.externalId).status).toBe(MemberStatus.Revoked);
    expect(member(e.externalId).status).toBe(MemberStatus.Invited);
    expect((await runCli<{ counts: Record<string, number> }>('reconcile')).json.counts).toMatchObject({ 'member-without-worker': 1, 'extra-membership': 0, 'active-but-terminated': 0 });
    expect(runtime.bitwarden!.allMembers().find((candidate) => candidate.id === handMade)?.status).toBe(MemberStatus.Invited);
  });

  it('status and audit: the worker’s record, desired and actual state, and history', async () => {
    const status = (await runCli<{ desired: { access: string }; member: { status: number }; memberGroups: string[] }>('status', a.externalId)).json;
    expect(status).toMatchObject({ desired: { access: 'member' }, member: { status: MemberStatus.Invited }, memberGroups: ['All Staff', 'Engineering'] });
    const audit = (await runCli<Array<{ outcome: string; action: string }>>('audit', a.externalId)).json;
    expect(audit.filter((entry) => entry.outcome === 'applied' && entry.action !== 'none').map((entry) => entry.action)).toEqual(['invite', 'set-groups']);
    expect((await runCli('status', 'nobody')).status).toBe(1);
  });

  it('plan: what a delivery would do now, without doing it', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'plan-')), 'event.json');
    writeFileSync(file, JSON.stringify({ type: 'worker.updated', timestamp: new Date().toISOString(), data: { worker: { ...a, department: 'Finance' } } }));
    const writesBefore = runtime.bitwarden!.writes().length;
    const [preview] = (await runCli<Array<{ outcome: string; plan: { actions: Array<{ kind: string }> } }>>('plan', '--event', file)).json;
    expect(preview!.outcome).toBe('plan');
    expect(preview!.plan.actions.map((action) => action.kind)).toEqual(['set-groups']);
    expect(runtime.bitwarden!.writes()).toHaveLength(writesBefore);
  });

  it('evidence export: JSON and CSV, a manifest whose SHA-256 digests match the files, and an HTML summary', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'evidence-'));
    const manifest = (await runCli<{ files: Array<{ name: string; sha256: string }>; counts: Record<string, number>; timeRange: { from: string } }>('evidence', 'export', '--out', out)).json;
    expect(manifest.files.map((file) => file.name)).toEqual(expect.arrayContaining(['members.json', 'members.csv', 'memberships.csv', 'workers.json', 'last-actions.csv', 'drift.json', 'summary.html']));
    for (const file of manifest.files) expect(createHash('sha256').update(readFileSync(path.join(out, file.name))).digest('hex')).toBe(file.sha256);
    expect(manifest.counts).toMatchObject({ workers: 4, drift: 1 });
    expect(manifest.timeRange.from).toMatch(/^\d{4}-/);
    expect(readFileSync(path.join(out, 'summary.html'), 'utf8')).toContain('member-without-worker');
  });

  it('dlq list and redrive: a dead letter is shown, then moved back and applied', async () => {
    const message = reevaluation(a.externalId, 'test', new Date());
    await sqsClient().send(new SendMessageCommand({ QueueUrl: process.env.URGENT_DLQ_URL, MessageBody: JSON.stringify(message), MessageGroupId: a.externalId, MessageDeduplicationId: 'dead-letter-1' }));
    const listed = (await runCli<Array<{ lane: string; messages: Array<{ workerKey: string; eventType: string }> }>>('dlq', 'list')).json;
    expect(listed.find((lane) => lane.lane === 'urgent')?.messages).toEqual([expect.objectContaining({ workerKey: a.externalId, eventType: 'lifecycle.test' })]);
    const processed = runtime.processed(message.deliveryId);
    expect((await runCli<unknown[]>('dlq', 'redrive')).json).toHaveLength(1);
    await processed;
    expect((await runCli<Array<{ messages: unknown[] }>>('dlq', 'list')).json.every((lane) => lane.messages.length === 0)).toBe(true);
  });
});
