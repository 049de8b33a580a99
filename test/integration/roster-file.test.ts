import { mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventPublisher } from '../../lib/runtime/dependencies.js';
import { documentClient } from '../../lib/runtime/aws.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { syncRoster } from '../../lib/roster/sync-roster.js';
import { fileSource, RosterFileError } from '../../lib/sources/file/file.js';
import { RosterStore } from '../../lib/store/roster-store.js';
import { Tables } from '../../lib/store/tables.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/**
 * A roster file through the roster read on real DynamoDB Local and SQS (README, "Roster file"):
 * the good rows are invited, the bad ones are reported by their line, a file with bad rows removes
 * nobody, and a file whose header is wrong changes nothing at all.
 */
/** A few hundred: one page of the file (paging is test/unit/roster-file.test.ts's), each worker one invite. */
const WORKERS = 300;
const dir = mkdtempSync(path.join(tmpdir(), 'roster-file-'));
const settings = fileSource.settings.parse({
  columns: { externalId: 'Employee ID', workEmail: 'Email', firstName: 'First Name', lastName: 'Last Name', department: 'Department', status: 'Status' },
  attributes: { costCenter: 'Cost Center' },
});
let runtime: TestRuntime;

const id = (index: number) => `F-${String(index).padStart(4, '0')}`;
const row = (index: number) => `${id(index)},${id(index).toLowerCase()}@example.com,Worker,"No. ${index}",${index % 2 ? 'Engineering' : 'Sales'},active,CC-${index % 7}`;
/** The export as HR writes it: a header, the workers, and (unless left out) two rows HR got wrong. */
function exportFile(name: string, { without = [] as number[], header = 'Employee ID,Email,First Name,Last Name,Department,Status,Cost Center' } = {}): string {
  const rows = Array.from({ length: WORKERS }, (_, index) => index)
    .filter((index) => !without.includes(index))
    .map(row);
  rows.splice(3, 0, 'B-1,not-an-email,Bad,Row,Sales,active,CC-1'); // line 5
  rows.splice(100, 0, 'B-2,b-2@example.com,Bad,Row,Sales,hired,CC-1'); // line 102
  const file = path.join(dir, name);
  writeFileSync(file, `${[header, ...rows].join('\n')}\n`);
  return file;
}

/** The roster read of `file`, as the CLI and the AWS wiring give it one: the path in `apiUrl`, the bytes through `readObject`. */
const syncFile = (file: string) =>
  syncRoster(
    'file',
    {
      store: new RosterStore(documentClient(), tableName(readEnvironment(), Tables.roster)),
      publisher: eventPublisher(readEnvironment()),
      readPage: (cursor) => fileSource.readRoster!({ apiUrl: file, credentials: '', settings, readObject: (location) => readFile(location) }, cursor),
      maxShrink: 0.1,
      now: () => new Date(),
      timeLeft: () => Number.POSITIVE_INFINITY,
    },
    { lockMs: 60_000 },
  );
const member = (key: string) => runtime.bitwarden!.memberByExternalId(key);
const badRows = [
  { at: 'line 5', reason: 'workEmail: must be an e-mail address' },
  { at: 'line 102', reason: expect.stringMatching(/^status: /) },
];

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(() => runtime?.stop());

describe('a roster file', () => {
  it('invites every good worker, and reports the bad rows by their line', async () => {
    const invited = runtime.processedCount(WORKERS, (message) => message.provider === 'file' && message.eventType === 'roster.first-read');
    const result = await syncFile(exportFile('first.csv'));
    expect(result).toMatchObject({ complete: true, pages: 1, records: WORKERS, changed: WORKERS, absent: [], removed: 0 });
    expect(result.problems).toEqual(badRows);
    await invited;
    const members = Array.from({ length: WORKERS }, (_, index) => member(id(index)));
    expect(members.filter((found) => found?.status !== MemberStatus.Invited)).toEqual([]);
    expect([member('B-1'), member('B-2')]).toEqual([undefined, undefined]);
  }, 90_000); // three hundred invites through the worker, on shared cores

  it('removes nobody while it has bad rows, though a worker has left it', async () => {
    const writes = runtime.bitwarden!.writes().length;
    const result = await syncFile(exportFile('second.csv', { without: [42] }));
    expect(result).toMatchObject({ complete: true, records: WORKERS - 1, changed: 0, absent: [id(42)], removed: 0, removalRefused: expect.stringContaining('2 row(s) could not be read') });
    expect(result.problems).toEqual(badRows);
    expect(await runtime.queueDepth()).toBe(0);
    expect(runtime.bitwarden!.writes()).toHaveLength(writes);
    expect(member(id(42))?.status).toBe(MemberStatus.Invited);
  });

  it('changes nothing at all when its header lacks the status column', async () => {
    const writes = runtime.bitwarden!.writes().length;
    const read = syncFile(exportFile('no-status.csv', { header: 'Employee ID,Email,First Name,Last Name,Department,State,Cost Center' }));
    await expect(read).rejects.toBeInstanceOf(RosterFileError);
    await expect(read).rejects.toMatchObject({ problem: 'missing-columns', missing: ['Status'], found: expect.arrayContaining(['Employee ID', 'State']) });
    expect(await runtime.queueDepth()).toBe(0);
    expect(runtime.bitwarden!.writes()).toHaveLength(writes);
  });
});
