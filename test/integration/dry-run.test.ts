import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../lib/runtime/aws.js';
import { AuditLog } from '../../lib/store/audit-log.js';
import { Tables } from '../../lib/store/tables.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { genericDelivery, worker } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime(readFileSync('cdk/config/lifecycle.yaml', 'utf8').replace('dryRun: false', 'dryRun: true'));
});
afterAll(() => runtime?.stop());

describe('dry-run mode', () => {
  it('computes and audits the plan as planned, and sends nothing to Bitwarden', async () => {
    const person = worker({ department: 'Engineering' });
    const delivery = genericDelivery('worker.hired', person, { secret: TEST_SECRET });
    const processed = runtime.processed(delivery.id);
    expect((await runtime.post('generic', delivery)).status).toBe(202);
    await processed;

    expect(runtime.bitwarden!.writes()).toEqual([]);
    const audit = await new AuditLog(documentClient(), tableName(readEnvironment(), Tables.audit)).forWorker(person.externalId);
    expect(audit).toEqual([expect.objectContaining({ outcome: 'planned', action: 'invite', detail: expect.stringContaining('would invite') })]);
  });
});
