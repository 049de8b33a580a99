import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reevaluation } from '../../lib/queue/message.js';
import { loadConfigFile } from '../../lib/config/load.js';
import { bitwardenClient, eventPublisher } from '../../lib/runtime/dependencies.js';
import { readEnvironment } from '../../lib/runtime/env.js';
import { runCli } from '../support/cli.js';
import { genericDelivery, worker, type WorkerInput } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';

/**
 * One `evaluate` serves the worker and every preview: on the same inputs, `plan --event`,
 * `rules explain`, `status` and reconcile say what the worker then does, skips included.
 */
type Preview = { outcome: 'skip'; reason: string } | { outcome: 'plan'; plan: { actions: Array<{ kind: string }> } };
type AuditEntry = { deliveryId: string; outcome: string; action: string; detail: string };

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime?.stop());

const dir = mkdtempSync(path.join(tmpdir(), 'one-evaluation-'));

/** What `plan --event` says of a delivery, then what the worker did with the same delivery (from the audit trail). */
async function previewThenApply(type: Parameters<typeof genericDelivery>[0], record: WorkerInput, occurredAt = new Date().toISOString()) {
  const delivery = genericDelivery(type, record, { secret: TEST_SECRET, occurredAt });
  const file = path.join(dir, `${delivery.id}.json`);
  writeFileSync(file, delivery.body);
  const [preview] = (await runCli<Preview[]>('plan', '--event', file)).json;
  const processed = runtime.processed(delivery.id);
  expect((await runtime.post('generic', delivery)).status).toBe(202);
  await processed;
  const audit = (await runCli<AuditEntry[]>('audit', record.externalId!)).json.filter((entry) => entry.deliveryId === delivery.id);
  return { preview: preview!, audit };
}

const previewed = (preview: Preview) => (preview.outcome === 'skip' ? { skipped: preview.reason } : { actions: preview.plan.actions.map((action) => action.kind) });
const applied = (audit: AuditEntry[]) => {
  const skipped = audit.find((entry) => entry.outcome === 'skipped');
  return skipped ? { skipped: skipped.detail } : { actions: audit.filter((entry) => entry.outcome === 'applied' && entry.action !== 'none').map((entry) => entry.action) };
};

describe('the worker and plan --event give the same answer', () => {
  const person = worker({ department: 'Engineering', jobTitle: 'Engineer' });
  const hiredAt = new Date(Date.now() - 60_000).toISOString();

  it('for a hire, a role change, a duplicate, a stale event and a termination', async () => {
    const cases = [
      await previewThenApply('worker.hired', person, hiredAt),
      await previewThenApply('worker.updated', { ...person, department: 'Sales' }),
      await previewThenApply('worker.updated', { ...person, department: 'Sales' }, hiredAt),
      await previewThenApply('worker.terminated', { ...person, status: 'terminated', terminationDate: '2026-01-01' }),
    ];
    const answers = cases.map(({ preview, audit }) => ({ previewed: previewed(preview), applied: applied(audit) }));
    for (const answer of answers) expect(answer.previewed).toEqual(answer.applied);
    expect(answers.map((answer) => answer.applied)).toEqual([
      { actions: ['invite'] },
      { actions: ['set-groups'] },
      { skipped: expect.stringMatching(/^stale: /) },
      { actions: ['revoke'] },
    ]);
  });
});

describe('rules explain, status, reconcile and the worker give the same answer', () => {
  const person = worker({ department: 'Engineering', jobTitle: 'Analyst' });

  it('for a worker whose groups an admin changed by hand', async () => {
    await previewThenApply('worker.hired', person);
    const member = runtime.bitwarden!.memberByExternalId(person.externalId!)!;
    // An admin empties the member's groups by hand, through Bitwarden's API.
    await bitwardenClient(readEnvironment(), loadConfigFile(readEnvironment().LIFECYCLE_CONFIG)).setMemberGroupIds(member.id, []);

    const explain = (await runCli<{ actions: Array<{ kind: string }> }>('rules', 'explain', person.externalId!)).json;
    const status = (await runCli<{ desired: { groups: string[] }; memberGroups: string[] }>('status', person.externalId!)).json;
    const drift = (await runCli<{ drift: Array<{ kind: string; workerKey: string }> }>('reconcile')).json.drift.filter((item) => item.workerKey === person.externalId);
    expect(explain.actions.map((action) => action.kind)).toEqual(['set-groups']);
    expect(status).toMatchObject({ desired: { groups: ['All Staff', 'Engineering'] }, memberGroups: [] });
    expect(drift.map((item) => item.kind)).toEqual(['missing-membership']);

    const message = reevaluation(person.externalId!, 'test', new Date());
    const processed = runtime.processed(message.deliveryId);
    await eventPublisher(readEnvironment()).publish([message]);
    await processed;
    const audit = (await runCli<AuditEntry[]>('audit', person.externalId!)).json.filter((entry) => entry.deliveryId === message.deliveryId);
    expect(applied(audit)).toEqual({ actions: ['set-groups'] });
    expect(runtime.bitwarden!.memberByExternalId(person.externalId!)?.groupNames).toEqual(['All Staff', 'Engineering']);
  });

  it('for a worker nothing is known about: skipped, not revoked', async () => {
    const message = reevaluation('E-never-seen', 'test', new Date());
    const processed = runtime.processed(message.deliveryId);
    await eventPublisher(readEnvironment()).publish([message]);
    await processed;
    const audit = (await runCli<AuditEntry[]>('audit', 'E-never-seen')).json;
    expect(applied(audit)).toEqual({ skipped: 'nothing is known about this worker to re-evaluate' });
    expect((await runCli('rules', 'explain', 'E-never-seen')).status).toBe(1);
  });
});
