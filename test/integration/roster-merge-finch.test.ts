import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import type { WorkerEventMessage } from '../../lib/queue/message.js';
import { syncRoster, type RosterSyncDependencies } from '../../lib/roster/sync-roster.js';
import { documentClient } from '../../lib/runtime/aws.js';
import { eventPublisher } from '../../lib/runtime/dependencies.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { finchSource } from '../../lib/sources/finch/finch.js';
import { mergeSource, readMergeChanges } from '../../lib/sources/merge/merge.js';
import type { ReadRosterPage } from '../../lib/sources/roster.js';
import type { Source, SourceSettings } from '../../lib/sources/source.js';
import { RosterStore } from '../../lib/store/roster-store.js';
import { Tables } from '../../lib/store/tables.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/**
 * Merge's and Finch's roster reads against their emulated APIs, on the real local stack. Merge: a
 * company of 5,000 read through its cursor pages, a page that fails fails the step and the next
 * step resumes with no message sent twice, an unchanged company costs no message, and
 * `modified_after` reads only what changed. Finch: 1,050 people read through directory pages and
 * batches, a custom attribute reaching a rule, and a termination revoking. The worker is stopped
 * until the Finch changes (the first reads' messages are counted, then purged).
 */
const MERGE_COMPANY = 5_000;
const FINCH_COMPANY = 1_050;
const config = `
providers:
  generic: { enabled: true }
  merge: {}
  finch:
    attributes: { costCenter: "employment.custom_fields[name=Cost Center].value" }
rules:
  - id: everyone
    groups: [All Staff]
  - id: cost-center-9
    match:
      attributes: { costCenter: "CC-9*" }
    groups: [Cost Center 9]
`;
const dayAgo = new Date(Date.now() - 86_400_000).toISOString();
const lastMonth = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime(config, { startWorker: false });
});
afterAll(() => runtime?.stop());

const workers = () => Object.values(runtime.workers);
const apiCalls = (name: string) => runtime.sourceApis.calls.filter((call) => call.source === name);

/** The source's read context as the scheduled Lambda builds it, pointed at its emulated API. */
const contextOf = <S extends SourceSettings>(source: Source<S>) => ({
  apiUrl: runtime.sourceApis.url(source.name),
  credentials: runtime.sourceApis.credentials(source.name),
  settings: source.settings.parse(parseConfig(config).providers[source.name]),
});

/** One step of a source's roster read, as the scheduled Lambda runs it; every message it publishes is also kept in `published`. */
function rosterStep<S extends SourceSettings>(source: Source<S>, published: WorkerEventMessage[] = [], readPage?: ReadRosterPage) {
  const context = contextOf(source);
  const queue = eventPublisher(readEnvironment());
  const deps: RosterSyncDependencies = {
    store: new RosterStore(documentClient(), tableName(readEnvironment(), Tables.roster)),
    publisher: { publish: (messages) => (published.push(...messages), queue.publish(messages)) },
    readPage: readPage ?? ((cursor) => source.readRoster!(context, cursor)),
    maxShrink: 0.1,
    now: () => new Date(),
    timeLeft: () => Number.POSITIVE_INFINITY,
  };
  return syncRoster(source.name, deps, { lockMs: 60_000 });
}

describe('Merge roster', () => {
  const records = () => runtime.sourceApis.records('merge');
  const key = (index: number) => `m-${String(index).padStart(5, '0')}`;
  const employee = (index: number) => ({
    id: key(index),
    remote_id: String(index),
    work_email: `merge-${index}@example.com`,
    first_name: 'Kim',
    last_name: `M${index}`,
    employment_status: 'ACTIVE',
    start_date: '2024-02-01T00:00:00Z',
    modified_at: dayAgo,
    employments: [{ id: `job-${index}`, job_title: 'Analyst', employment_type: 'FULL_TIME', effective_date: '2024-02-01T00:00:00Z', modified_at: dayAgo }],
    groups: [{ id: 'g-sales', name: 'Sales', type: 'DEPARTMENT', modified_at: dayAgo }],
    work_location: null,
    remote_was_deleted: false,
  });

  it(`reads ${MERGE_COMPANY} employees through 100-employee pages; a failed page fails the step and the next step resumes, sending each once`, async () => {
    for (let index = 0; index < MERGE_COMPANY; index++) records().set(key(index), employee(index));
    const published: WorkerEventMessage[] = [];
    let pagesRead = 0;
    // The 11th call answers 503: ten pages are sent, then the step fails.
    const failingAfterTen: ReadRosterPage = async (cursor) => {
      const page = await mergeSource.readRoster!(contextOf(mergeSource), cursor);
      if (++pagesRead === 10) runtime.sourceApis.failNext(503);
      return page;
    };

    await expect(rosterStep(mergeSource, published, failingAfterTen)).rejects.toMatchObject({ name: 'ProviderApiError', status: 503 });
    expect(published).toHaveLength(1_000);
    expect(await rosterStep(mergeSource, published)).toMatchObject({ complete: true, pages: MERGE_COMPANY / 100, records: MERGE_COMPANY, changed: MERGE_COMPANY, absent: [], problems: [] });

    expect(apiCalls('merge').map((call) => call.status)).toEqual([...Array<number>(10).fill(200), 503, ...Array<number>(40).fill(200)]);
    expect(new Set(published.map((message) => message.workerKey)).size).toBe(MERGE_COMPANY);
    expect(published).toHaveLength(MERGE_COMPANY);
    expect(await runtime.queueDepth()).toBe(MERGE_COMPANY);
  });

  it('sends nothing for an unchanged company', async () => {
    const published: WorkerEventMessage[] = [];
    expect(await rosterStep(mergeSource, published)).toMatchObject({ complete: true, records: MERGE_COMPANY, changed: 0, absent: [] });
    expect(published).toEqual([]);
  });

  it('reads with modified_after only the employees changed since, and the full read sends just those', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const changed = [key(3), key(2_500), key(4_999)];
    for (const id of changed) records().set(id, { ...records().get(id)!, last_name: 'Renamed', modified_at: new Date().toISOString() });

    const before = apiCalls('merge').length;
    const delta = await readMergeChanges(contextOf(mergeSource), since, null);
    expect(delta).toMatchObject({ next: null, problems: [] });
    expect(delta.records.map(({ record }) => record.externalId)).toEqual(changed);
    expect(apiCalls('merge').length - before).toBe(1);

    const published: WorkerEventMessage[] = [];
    expect(await rosterStep(mergeSource, published)).toMatchObject({ complete: true, records: MERGE_COMPANY, changed: 3 });
    expect(published.map((message) => message.workerKey)).toEqual(changed);
    await runtime.purgeQueues();
  });
});

describe('Finch roster', () => {
  const records = () => runtime.sourceApis.records('finch');
  const key = (index: number) => `5d0b10a1-a09a-430f-81f1-${String(index).padStart(12, '0')}`;
  const person = (index: number, costCenter = 'CC-100') => ({
    employment: { first_name: 'Lee', last_name: `F${index}`, title: 'Analyst', department: { name: 'Sales' }, employment: { type: 'employee', subtype: 'full_time' }, is_active: true, start_date: '2024-02-01', end_date: null, custom_fields: [{ name: 'Cost Center', value: costCenter }] },
    individual: { first_name: 'Lee', last_name: `F${index}`, emails: [{ data: `finch-${index}@example.com`, type: 'work' }] },
  });
  afterAll(() => Promise.all(workers().map((worker) => worker.stop())));

  it(`reads ${FINCH_COMPANY} people through directory pages, each page's records in one batch per endpoint`, async () => {
    for (let index = 0; index < FINCH_COMPANY; index++) records().set(key(index), person(index));
    const before = apiCalls('finch').length;
    expect(await rosterStep(finchSource)).toMatchObject({ complete: true, pages: 6, records: FINCH_COMPANY, changed: FINCH_COMPANY, absent: [], problems: [] });
    const paths = apiCalls('finch').slice(before).map((call) => call.path);
    for (const path of ['/employer/directory', '/employer/employment', '/employer/individual']) expect(paths.filter((called) => called === path), path).toHaveLength(6);
    expect(await runtime.queueDepth()).toBe(FINCH_COMPANY);
    await runtime.purgeQueues();
  });

  it('gives a worker the group of a rule on a custom attribute, and revokes them once Finch shows them terminated', async () => {
    for (const worker of workers()) worker.start();
    const id = key(7);
    const member = () => runtime.bitwarden!.memberByExternalId(id);

    records().set(id, person(7, 'CC-901'));
    let applied = runtime.processed((message) => message.workerKey === id);
    expect(await rosterStep(finchSource)).toMatchObject({ complete: true, records: FINCH_COMPANY, changed: 1 });
    await applied;
    expect(member()).toMatchObject({ status: MemberStatus.Invited, groupNames: ['All Staff', 'Cost Center 9'] });

    // Read as terminated, not missed as absent: the directory lists inactive people.
    const { employment, individual } = person(7, 'CC-901');
    records().set(id, { employment: { ...employment, is_active: false, end_date: lastMonth }, individual });
    applied = runtime.processed((message) => message.workerKey === id && message.eventType === 'roster.record');
    expect(await rosterStep(finchSource)).toMatchObject({ complete: true, records: FINCH_COMPANY, changed: 1, absent: [] });
    await applied;
    expect(member()?.status).toBe(MemberStatus.Revoked);
  });
});
