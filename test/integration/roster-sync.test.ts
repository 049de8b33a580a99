import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventPublisher } from '../../lib/runtime/dependencies.js';
import { documentClient } from '../../lib/runtime/aws.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { runScheduledRosterReads } from '../../lib/roster/scheduled.js';
import { syncRoster, type RosterSyncDependencies } from '../../lib/roster/sync-roster.js';
import type { RosterPage } from '../../lib/sources/roster.js';
import { ReadInProgressError, RosterStore } from '../../lib/store/roster-store.js';
import { Tables } from '../../lib/store/tables.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { WorkerRecordSchema, type WorkerRecord } from '../../lib/vocabulary/worker-record.js';
import { genericDelivery, worker } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';

/**
 * The roster read on real DynamoDB Local and SQS: only changes are sent, a failed page resumes
 * without duplicates, absence is decided only on a complete roster of credible size, and a pulled
 * record never overrides a newer applied event. The source here is a list split into pages; each
 * source's own API read is tested with its emulator.
 */
const PAGE = 40;
let runtime: TestRuntime;
let roster: WorkerRecord[] = [];
/** The source's own modification times, where a test sets one. */
const modifiedAt = new Map<string, string>();
let failNextPage = false;
let pageReads = 0;

/** Pages of `roster`; the cursor is the offset, as many APIs' are. */
async function readPage(cursor: string | null): Promise<RosterPage> {
  pageReads++;
  if (failNextPage) {
    failNextPage = false;
    throw new Error('the source answered 503');
  }
  const offset = Number(cursor ?? 0);
  const records = roster.slice(offset, offset + PAGE).map((record) => ({ record, modifiedAt: modifiedAt.get(record.externalId) ?? null }));
  return { records, next: offset + PAGE < roster.length ? String(offset + PAGE) : null };
}

const deps = (overrides: Partial<RosterSyncDependencies> = {}): RosterSyncDependencies => ({
  store: new RosterStore(documentClient(), tableName(readEnvironment(), Tables.roster)),
  publisher: eventPublisher(readEnvironment()),
  readPage,
  maxShrink: 0.1,
  now: () => new Date(),
  timeLeft: () => Number.POSITIVE_INFINITY,
  ...overrides,
});
const sync = (overrides: Partial<RosterSyncDependencies> = {}) => syncRoster('generic', deps(overrides), { lockMs: 60_000 });
const fromRoster = (message: { deliveryId: string }) => message.deliveryId.startsWith('roster:');
const member = (key: string) => runtime.bitwarden!.memberByExternalId(key);

beforeAll(async () => {
  runtime = await startTestRuntime();
  roster = Array.from({ length: 120 }, (_, index) => WorkerRecordSchema.parse(worker({ externalId: `R-${String(index).padStart(4, '0')}`, department: index % 2 ? 'Engineering' : 'Sales', jobTitle: 'Analyst' })));
});
afterAll(() => runtime?.stop());

describe('a roster read', () => {
  it('on day one sends every worker once and invites them all', async () => {
    const processed = runtime.processedCount(roster.length, (message) => fromRoster(message) && message.eventType === 'roster.first-read');
    const result = await sync();
    expect(result).toMatchObject({ complete: true, pages: 3, records: 120, changed: 120, absent: [], removed: 0 });
    await processed;
    expect(roster.every((record) => member(record.externalId)?.status === MemberStatus.Invited)).toBe(true);
  });

  it('of an unchanged company sends nothing and writes nothing to Bitwarden', async () => {
    const writes = runtime.bitwarden!.writes().length;
    expect(await sync()).toMatchObject({ complete: true, records: 120, changed: 0, absent: [] });
    expect(await runtime.queueDepth()).toBe(0);
    expect(runtime.bitwarden!.writes()).toHaveLength(writes);
  });

  it('revokes a worker terminated in HR whose webhook was never sent', async () => {
    roster[7] = { ...roster[7]!, status: 'terminated', terminationDate: '2026-01-01' };
    const processed = runtime.processed((message) => message.workerKey === roster[7]!.externalId && message.eventType === 'roster.record');
    expect(await sync()).toMatchObject({ changed: 1 });
    await processed;
    expect(member(roster[7]!.externalId)?.status).toBe(MemberStatus.Revoked);
  });

  it('resumes after a page that fails, and sends nothing twice', async () => {
    roster[10] = { ...roster[10]!, jobTitle: 'Lead Analyst' };
    roster[100] = { ...roster[100]!, jobTitle: 'Lead Analyst' };
    pageReads = 0;
    let calls = 0;
    // The second page fails once.
    const failing = async (cursor: string | null) => {
      if (calls++ === 1) failNextPage = true;
      return readPage(cursor);
    };
    await expect(sync({ readPage: failing })).rejects.toThrow('the source answered 503');
    const resumed = await sync({ readPage: failing });
    expect(resumed).toMatchObject({ complete: true, pages: 3, records: 120, changed: 2 });
    expect(pageReads).toBe(4);
  });

  it('stops between pages when the invocation runs out of time, and the next one resumes at its cursor', async () => {
    const first = await sync({ timeLeft: () => 1_000 });
    expect(first).toMatchObject({ complete: false, pages: 1 });
    expect(await sync()).toMatchObject({ complete: true, pages: 3, records: 120 });
  });

  it('reads a worker listed twice on a page once, reports it, and so removes nobody', async () => {
    const twice = [...roster.slice(0, PAGE), roster[0]!];
    const result = await sync({ readPage: async () => ({ records: twice.map((record) => ({ record, modifiedAt: null })), next: null }) });
    expect(result).toMatchObject({ complete: true, records: PAGE + 1, problems: [{ at: `worker ${roster[0]!.externalId}`, reason: expect.stringContaining('more than once') }], removed: 0 });
    expect(result.removalRefused).toMatch(/could not be read/);
    await sync(); // the whole roster again, for the tests that follow
  });

  it('never overlaps another read of the same source', async () => {
    const store = deps().store;
    const now = new Date();
    await store.claimRead('generic', { readId: 'held', startedAt: now.toISOString(), cursor: null, pages: 0, records: 0, changed: 0, lockedUntil: 0 }, now, 60_000);
    await expect(sync()).rejects.toBeInstanceOf(ReadInProgressError);
    await store.abandonRead('generic');
  });

  it('ignores a pulled record older than an applied webhook, by the source’s own modification time', async () => {
    const person = roster[11]!;
    const delivery = genericDelivery('worker.updated', { ...person, department: 'Finance' }, { secret: TEST_SECRET });
    const applied = runtime.processed(delivery.id);
    expect((await runtime.post('generic', delivery)).status).toBe(202);
    await applied;
    // The roster (slower) still has the record as it was an hour ago.
    roster[11] = { ...person, jobTitle: 'Analyst (old)' };
    modifiedAt.set(person.externalId, new Date(Date.now() - 3_600_000).toISOString());
    const pulled = runtime.processed((message) => message.workerKey === person.externalId && fromRoster(message));
    expect(await sync()).toMatchObject({ changed: 1 });
    await pulled;
    expect(member(person.externalId)?.groupNames).toEqual(['All Staff', 'Finance']);
  });

  it('wins over a delayed webhook older than the pull', async () => {
    const person = roster[12]!;
    roster[12] = { ...person, department: 'Finance' };
    modifiedAt.set(person.externalId, new Date().toISOString());
    const pulled = runtime.processed((message) => message.workerKey === person.externalId && fromRoster(message));
    await sync();
    await pulled;
    const late = genericDelivery('worker.updated', { ...person, department: 'Sales' }, { secret: TEST_SECRET, occurredAt: new Date(Date.now() - 600_000).toISOString() });
    const skipped = runtime.processed(late.id);
    expect((await runtime.post('generic', late)).status).toBe(202);
    await skipped;
    expect(member(person.externalId)?.groupNames).toEqual(['All Staff', 'Finance']);
  });

  it('removes nobody when the roster is much smaller than the last one, says why, and holds it however often it is read', async () => {
    const full = roster;
    roster = roster.slice(0, 60);
    const result = await sync();
    expect(result).toMatchObject({ complete: true, records: 60, removed: 0, removalRefused: expect.stringContaining('fewer than the 120') });
    expect(result.absent).toHaveLength(60);
    // The same broken export, read again: still measured against the 120 of the last accepted read.
    expect(await sync()).toMatchObject({ complete: true, removed: 0, removalRefused: expect.stringContaining('fewer than the 120') });
    expect(member(full[100]!.externalId)?.status).toBe(MemberStatus.Invited);
    roster = full;
  });

  it('sends a worker missing from a complete roster of credible size as removed', async () => {
    await sync(); // the full roster again: the last complete read has 120
    const [gone] = roster.splice(50, 1);
    const processed = runtime.processed((message) => message.workerKey === gone!.externalId && message.eventType === 'roster.absent');
    expect(await sync()).toMatchObject({ complete: true, records: 119, absent: [gone!.externalId], removed: 1, removalRefused: null });
    await processed;
    expect(member(gone!.externalId)?.status).toBe(MemberStatus.Revoked);
  });
});

describe('the scheduled tick', () => {
  it('reads a source when its interval has passed, not before, and one failing source does not stop the others', async () => {
    let clock = new Date(Date.now() + 3_600_000);
    const tick = (sources: string[]) =>
      runScheduledRosterReads(sources, {
        store: deps().store,
        dependenciesFor: (source) => deps(source === 'broken' ? { readPage: async () => Promise.reject(new Error('401 from the source')), now: () => clock } : { now: () => clock }),
        intervalMinutes: 60,
        lockMs: 60_000,
        now: () => clock,
      });
    const first = await tick(['broken', 'generic']);
    expect(first.map((outcome) => [outcome.source, outcome.outcome])).toEqual([['broken', 'failed'], ['generic', 'read']]);
    clock = new Date(clock.getTime() + 30 * 60_000);
    expect((await tick(['generic']))[0]).toMatchObject({ outcome: 'not-due' });
    clock = new Date(clock.getTime() + 31 * 60_000);
    expect((await tick(['generic']))[0]).toMatchObject({ outcome: 'read', complete: true });
  });
});
