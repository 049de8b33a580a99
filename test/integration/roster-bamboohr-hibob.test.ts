import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { syncRoster, type RosterSyncDependencies } from '../../lib/roster/sync-roster.js';
import { documentClient } from '../../lib/runtime/aws.js';
import { eventPublisher } from '../../lib/runtime/dependencies.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { findSource } from '../../lib/sources/registry.js';
import { RosterStore } from '../../lib/store/roster-store.js';
import { Tables } from '../../lib/store/tables.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/**
 * BambooHR's and HiBob's roster reads against their emulated APIs, on the real local stack: a
 * company of 1,200 is read whole, a failed call fails the step and the next step sends each
 * worker once, and the workers' custom attributes and terminations reach Bitwarden. The first
 * read runs with the worker stopped (its 1,200 messages are counted, then purged); the worker runs
 * for the changes after it.
 */
const COMPANY = 1_200;
const config = `
providers:
  generic: { enabled: true }
  bamboohr:
    attributes: { costCenter: [customCostCenter, Cost Center] }
  hibob:
    attributes: { costCenter: work.custom.costCenter }
rules:
  - id: everyone
    groups: [All Staff]
  - id: cost-center-9
    match:
      attributes: { costCenter: "CC-9*" }
    groups: [Cost Center 9]
`;
const lastMonth = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);

/** Each provider's records in its own API's shape, and the edits HR makes to them. */
const providers = {
  bamboohr: {
    key: (index: number) => String(10_000 + index),
    record: (index: number) => ({ workEmail: `bamboo-${index}@example.com`, firstName: 'Pat', lastName: `B${index}`, department: 'Sales', status: 'Active', employmentHistoryStatus: 'Full-Time', hireDate: '2024-02-01', customCostCenter: 'CC-100' }),
    moveToCostCenter: (record: Record<string, unknown>, costCenter: string) => ({ ...record, customCostCenter: costCenter }),
    terminate: (record: Record<string, unknown>) => ({ ...record, status: 'Inactive', employmentHistoryStatus: 'Terminated', terminationDate: lastMonth }),
  },
  hibob: {
    key: (index: number) => `33328838942${String(index).padStart(5, '0')}`,
    record: (index: number) => ({ firstName: 'Sam', surname: `H${index}`, email: `bob-${index}@example.com`, work: { title: 'Analyst', department: 'Sales', startDate: '2024-02-01', custom: { costCenter: 'CC-100' } }, internal: { status: 'Active' } }),
    moveToCostCenter: (record: Record<string, unknown>, costCenter: string) => ({ ...record, work: { ...(record.work as object), custom: { costCenter } } }),
    terminate: (record: Record<string, unknown>) => ({ ...record, internal: { status: 'Inactive', terminationDate: lastMonth } }),
  },
};

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime(config, { startWorker: false });
});
afterAll(() => runtime?.stop());

const workers = () => Object.values(runtime.workers);

/** One step of the source's roster read, as the scheduled Lambda runs it, reading the source's emulated API. */
function rosterStep(name: keyof typeof providers) {
  const source = findSource(name)!;
  const context = { apiUrl: runtime.sourceApis.url(name), credentials: runtime.sourceApis.credentials(name), settings: parseConfig(config).providers[name]! };
  const deps: RosterSyncDependencies = {
    store: new RosterStore(documentClient(), tableName(readEnvironment(), Tables.roster)),
    publisher: eventPublisher(readEnvironment()),
    readPage: (cursor) => source.readRoster!(context, cursor),
    maxShrink: 0.1,
    now: () => new Date(),
    timeLeft: () => Number.POSITIVE_INFINITY,
  };
  return syncRoster(name, deps, { lockMs: 60_000 });
}

describe.each(Object.keys(providers) as Array<keyof typeof providers>)('%s roster', (name) => {
  const provider = providers[name];
  const records = () => runtime.sourceApis.records(name);
  const calls = () => runtime.sourceApis.calls.filter((call) => call.source === name).length;
  afterAll(() => Promise.all(workers().map((worker) => worker.stop())));

  it(`is read whole (${COMPANY} workers, one answer: the API has no paging); a failed call fails the step and the next step sends each worker once`, async () => {
    for (let index = 0; index < COMPANY; index++) records().set(provider.key(index), provider.record(index));

    runtime.sourceApis.failNext(503);
    await expect(rosterStep(name)).rejects.toMatchObject({ name: 'ProviderApiError', status: 503 });
    expect(await runtime.queueDepth()).toBe(0);

    const before = calls();
    expect(await rosterStep(name)).toMatchObject({ complete: true, pages: 1, records: COMPANY, changed: COMPANY, absent: [], problems: [] });
    expect(calls() - before).toBe(name === 'bamboohr' ? 2 : 1); // BambooHR: the change times, then the report
    expect(await runtime.queueDepth()).toBe(COMPANY);
    await runtime.purgeQueues();
  });

  it('gives a worker the group of a rule on a custom attribute, and revokes them once HR terminates them', async () => {
    for (const worker of workers()) worker.start();
    const key = provider.key(7);
    const member = () => runtime.bitwarden!.memberByExternalId(key);

    records().set(key, provider.moveToCostCenter(records().get(key)!, 'CC-901'));
    let applied = runtime.processed((message) => message.workerKey === key);
    expect(await rosterStep(name)).toMatchObject({ complete: true, records: COMPANY, changed: 1 });
    await applied;
    expect(member()).toMatchObject({ status: MemberStatus.Invited, groupNames: ['All Staff', 'Cost Center 9'] });

    // Read as terminated, not missed as absent: the read includes inactive employees.
    records().set(key, provider.terminate(records().get(key)!));
    applied = runtime.processed((message) => message.workerKey === key && message.eventType === 'roster.record');
    expect(await rosterStep(name)).toMatchObject({ complete: true, records: COMPANY, changed: 1, absent: [] });
    await applied;
    expect(member()?.status).toBe(MemberStatus.Revoked);
  });
});
