import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { runCli } from '../support/cli.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/**
 * Reconcile compares three ways where a source's roster can be read: the HR roster, what the
 * product stored, and Bitwarden. A change no webhook delivered shows as `hr-not-applied`, a worker
 * HR no longer lists as `absent-from-hr`; `--apply` sends HR's record through the worker.
 */
const config = `
providers:
  generic: { enabled: true }
  hibob: {}
rules:
  - id: everyone
    groups: [All Staff]
  - id: engineering
    match: { department: Engineering }
    groups: [Engineering]
`;
const person = (id: string, department: string, status = 'Active') => ({ id, firstName: 'Sam', surname: id, email: `${id}@example.com`, work: { title: 'Analyst', department, startDate: '2024-02-01' }, internal: { status } });
type Drift = { kind: string; workerKey: string | null };

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime(config);
});
afterAll(() => runtime?.stop());

describe('reconcile with a readable roster', () => {
  it('reports what HR says and the product never applied, and applies it on request', async () => {
    const records = runtime.sourceApis.records('hibob');
    records.set('B-1', person('B-1', 'Engineering'));
    records.set('B-2', person('B-2', 'Sales'));
    // Day one through the roster: both are known and members.
    const applied = runtime.processedCount(2, (message) => message.provider === 'hibob');
    expect((await runCli<{ changed: number }>('sync', '--from', 'hibob', '--apply')).json).toMatchObject({ changed: 2, drained: true });
    await applied;

    // HR moves B-1 and terminates B-2; no webhook ever arrives.
    records.set('B-1', person('B-1', 'Sales'));
    records.set('B-2', person('B-2', 'Sales', 'Inactive'));
    const { json } = await runCli<{ drift: Drift[]; counts: Record<string, number> }>('reconcile');
    expect(json.drift.filter((item) => item.kind === 'hr-not-applied').map((item) => item.workerKey).sort()).toEqual(['B-1', 'B-2']);
    expect(json.counts).toMatchObject({ 'hr-not-applied': 2, 'absent-from-hr': 0 });

    const corrected = runtime.processedCount(2, (message) => message.deliveryId.startsWith('reconcile:'));
    expect((await runCli<{ corrected: string[] }>('reconcile', '--apply')).json.corrected.sort()).toEqual(['B-1', 'B-2']);
    await corrected;
    expect(runtime.bitwarden!.memberByExternalId('B-1')?.groupNames).toEqual(['All Staff']);
    expect(runtime.bitwarden!.memberByExternalId('B-2')?.status).toBe(MemberStatus.Revoked);
    expect((await runCli<{ counts: Record<string, number> }>('reconcile')).json.counts).toMatchObject({ 'hr-not-applied': 0 });
  });

  it('reports a worker HR no longer lists', async () => {
    runtime.sourceApis.records('hibob').delete('B-1');
    const { json } = await runCli<{ drift: Drift[] }>('reconcile');
    expect(json.drift.filter((item) => item.kind === 'absent-from-hr').map((item) => item.workerKey)).toEqual(['B-1']);
  });
});
