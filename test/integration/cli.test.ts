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
import { runCli, runLifecycle } from '../support/cli.js';
import { worker } from '../support/generic-events.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/** Every admin command through the real binary (npx lifecycle), on the real local services. */
let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime?.stop());

const member = (key: string) => runtime.bitwarden!.memberByExternalId(key)!;

describe('npx lifecycle', () => {
  const [a, b, c, e] = [worker({ department: 'Engineering', jobTitle: 'Analyst' }), worker({ department: 'Sales' }), worker({ department: 'Sales' }), worker({ department: 'Sales' })];
  let handMade = '';

  beforeAll(async () => {
    for (const person of [a, b, c, e]) await runtime.deliver('worker.hired', person);
    await runtime.deliver('worker.terminated', { ...c, status: 'terminated', terminationDate: '2026-01-01' });
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

  it('reconcile: reports drift by kind, and exits 3 for it', async () => {
    const { status, json } = await runCli<{ counts: Record<string, number>; drift: Array<{ kind: string; workerKey: string | null }> }>('reconcile');
    expect(status).toBe(3);
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

  it('status and audit: the worker’s record, desired and actual state, and history, by name', async () => {
    const status = (await runCli<{ desired: { access: string }; member: { status: string; type: string }; memberGroups: string[] }>('status', a.externalId)).json;
    expect(status).toMatchObject({ desired: { access: 'member' }, member: { status: 'invited', type: 'user', groups: ['All Staff', 'Engineering'] }, memberGroups: ['All Staff', 'Engineering'] });
    const audit = (await runCli<Array<{ outcome: string; action: string; detail: string }>>('audit', a.externalId)).json;
    const applied = audit.filter((entry) => entry.outcome === 'applied' && entry.action !== 'none');
    expect(applied.map((entry) => entry.action)).toEqual(['invite', 'set-groups']);
    // The trail stores the group ids Bitwarden was sent; people read their names.
    expect(applied[1]!.detail).toMatch(/groups \+\[\] -\[Finance\]$/);
    expect(audit.map((entry) => entry.detail).join('\n')).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    const unknown = await runCli<{ error: string }>('status', 'nobody');
    expect(unknown).toEqual({ status: 1, json: { error: 'no worker "nobody" is known', hint: expect.any(String), workerKey: 'nobody' } });
  });

  it('audit: times in the organization’s time zone, UTC beside them', async () => {
    const berlin = path.join(mkdtempSync(path.join(tmpdir(), 'cli-zone-')), 'lifecycle.yaml');
    writeFileSync(berlin, readFileSync(process.env.LIFECYCLE_CONFIG!, 'utf8').replace('policy:\n', 'policy:\n  timeZone: Europe/Berlin\n'));
    const [entry] = (await runCli<Array<{ at: string }>>('audit', a.externalId)).json;
    const { status, stdout } = await runLifecycle(['audit', a.externalId, '--config', berlin, '--aws']);
    expect(status).toBe(0);
    const local = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Berlin', hourCycle: 'h23', dateStyle: 'short', timeStyle: 'medium' }).format(new Date(entry!.at)).replace(', ', ' ');
    expect(stdout.split('\n')[1]).toMatch(new RegExp(`^${local} GMT\\+[12] \\((\\d{4}-\\d{2}-\\d{2} )?${entry!.at.slice(11, 19)} UTC\\) +applied +invite`));
  });

  it('plan: what a delivery would do now, without doing it', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'plan-')), 'event.json');
    writeFileSync(file, JSON.stringify({ type: 'worker.updated', timestamp: new Date().toISOString(), data: { worker: { ...a, department: 'Finance' } } }));
    const writesBefore = runtime.bitwarden!.writes().length;
    const [preview] = (await runCli<Array<{ outcome: string; plan: { actions: Array<{ kind: string }> }; would: string[]; member: unknown }>>('plan', '--event', file)).json;
    expect(preview!.outcome).toBe('plan');
    expect(preview!.plan.actions.map((action) => action.kind)).toEqual(['set-groups']);
    expect(preview!.would).toEqual(['set groups +[Finance] -[Engineering]']);
    expect(preview!.member).toMatchObject({ status: 'invited', type: 'user', groups: ['All Staff', 'Engineering'] });
    const text = await runLifecycle(['plan', '--event', file, '--aws']);
    expect(text.stdout).toContain('  Bitwarden now: invited user in All Staff, Engineering\n  would: set groups +[Finance] -[Engineering]\n');
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
    const { status, json: listed } = await runCli<Array<{ lane: string; messages: Array<{ workerKey: string; eventType: string }> }>>('dlq', 'list');
    expect(status).toBe(3);
    expect(listed.find((lane) => lane.lane === 'urgent')?.messages).toEqual([expect.objectContaining({ workerKey: a.externalId, eventType: 'lifecycle.test' })]);
    const processed = runtime.processed(message.deliveryId);
    expect((await runCli<unknown[]>('dlq', 'redrive')).json).toHaveLength(1);
    await processed;
    const after = await runCli<Array<{ messages: unknown[] }>>('dlq', 'list');
    expect(after.status).toBe(0);
    expect(after.json.every((lane) => lane.messages.length === 0)).toBe(true);
  });

  it('--config: every command that reads the config reads the file it names', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cli-config-'));
    const limited = path.join(dir, 'limited.yaml');
    writeFileSync(limited, readFileSync(process.env.LIFECYCLE_CONFIG!, 'utf8').replace('policy:\n', 'policy:\n  massRevocationGuard: { maxRevocations: 7, maxShareOfOrganization: null }\n'));
    expect((await runCli<{ limit: number }>('guard', 'status', '--config', limited)).json.limit).toBe(7);

    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, 'rules: [\n');
    const event = path.join(dir, 'event.json');
    writeFileSync(event, '{}');
    const commands = [
      ['status', a.externalId], ['audit', a.externalId], ['plan', '--event', event], ['reconcile'], ['sync', '--from', 'hibob'], ['evidence', 'export', '--out', dir],
      ['rules', 'validate'], ['rules', 'diff'], ['rules', 'explain', a.externalId], ['guard', 'status'], ['guard', 'approve', '--worker', 'nobody'], ['guard', 'reject', '--worker', 'nobody'],
    ];
    const runs = await Promise.all(commands.map((command) => runCli<{ error?: string; valid?: boolean; file?: string }>(...command, '--config', broken)));
    for (const [index, run] of runs.entries()) {
      expect(run.status, commands[index]!.join(' ')).toBe(1);
      expect(run.json.error ?? run.json.file, commands[index]!.join(' ')).toContain(broken);
    }
  });
});
