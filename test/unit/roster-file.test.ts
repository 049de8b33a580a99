import { describe, expect, it } from 'vitest';
import { FILE_PAGE_ROWS, fileSource, readRosterFile, RosterFileError } from '../../lib/sources/file/file.js';
import { RosterUnreadableError, type RosterPage } from '../../lib/sources/roster.js';
import { WebhookRejection } from '../../lib/sources/source.js';

/** A roster file (README, "Roster file"): CSV or JSON, headers mapped by the config, bad rows by line, a wrong header changes nothing. */
const settings = (overrides: Record<string, unknown> = {}) => fileSource.settings.parse(overrides);
const csv = (...lines: string[]) => Buffer.from(lines.join('\n'));
const read = (bytes: Buffer, config = settings(), cursor: string | null = null) => readRosterFile(bytes, config, cursor);
const ids = (page: RosterPage) => page.records.map((entry) => entry.record.externalId);

/** The error a read throws, to assert on its fields rather than its text. */
function failure(run: () => unknown): RosterFileError {
  try {
    run();
  } catch (error) {
    if (error instanceof RosterFileError) return error;
    throw error;
  }
  throw new Error('the read did not fail');
}

describe('a roster file', () => {
  it('maps rows through the configured headers (case and padding ignored), with custom attributes and the modification time', () => {
    const mapped = settings({ columns: { externalId: 'Employee ID', workEmail: 'Email', status: 'Status', department: 'Dept' }, attributes: { costCenter: 'Cost Center' }, modifiedAt: 'Updated' });
    const page = read(
      csv('employee id, Email ,STATUS,Dept,Cost Center,Updated,jobTitle,Notes', 'E-1,Ana@Example.com,active,Engineering,CC-901,2026-03-01T11:00:00+01:00,Engineer,x', 'E-2,ben@example.com,terminated,Sales,,,,'),
      mapped,
    );
    expect(page).toMatchObject({ problems: [], next: null });
    expect(page.records).toEqual([
      {
        record: expect.objectContaining({ externalId: 'E-1', workEmail: 'ana@example.com', status: 'active', department: 'Engineering', jobTitle: 'Engineer', team: null, attributes: { costCenter: 'CC-901' } }),
        modifiedAt: '2026-03-01T10:00:00.000Z',
      },
      { record: expect.objectContaining({ externalId: 'E-2', status: 'terminated', jobTitle: null, attributes: { costCenter: null } }), modifiedAt: null },
    ]);
  });

  it('reads the record’s own field names without any mapping, and another delimiter when told', () => {
    const page = read(Buffer.from('\uFEFFexternalId;status;employmentType;startDate\r\nE-1;pending;contractor;2026-07-01\r\n'), settings({ delimiter: ';' }));
    expect(page.records).toEqual([{ record: expect.objectContaining({ externalId: 'E-1', status: 'pending', employmentType: 'contractor', startDate: '2026-07-01' }), modifiedAt: null }]);
  });

  it('reports each bad row by its physical line with the field and reason, and still reads the others', () => {
    const page = read(
      csv(
        'externalId,workEmail,status,endDate',
        'E-1,a@example.com,active,',
        'E-2,not-an-email,active,',
        '', // an empty line is skipped, and still counted
        'E-3,c@example.com,retired,',
        'E-4,"d@example.com",active,"2024-02-30"',
        ',e@example.com,active,',
        'E-6,f@example.com,active',
        'E-7,g@example.com,active,',
      ),
    );
    expect(ids(page)).toEqual(['E-1', 'E-7']);
    expect(page.problems).toEqual([
      { at: 'line 3', reason: 'workEmail: must be an e-mail address' },
      { at: 'line 5', reason: expect.stringMatching(/^status: Invalid option/) },
      { at: 'line 6', reason: 'endDate: must be a real calendar date (YYYY-MM-DD) or an RFC 3339 instant' },
      { at: 'line 7', reason: 'externalId: is required' },
      { at: 'line 8', reason: 'has 3 cells where the header has 4' },
    ]);
  });

  it('counts a line break inside a quoted cell as a line, CRLF or not', () => {
    const file = Buffer.from('externalId,status,location\r\nE-1,active,"Building 2\r\nFloor 3"\r\nE-2,fired,\r\n');
    expect(read(file).problems).toEqual([{ at: 'line 4', reason: expect.stringMatching(/^status: /) }]);
  });

  it('sends none of the rows that share a worker id, naming the others', () => {
    const page = read(csv('externalId,status', 'E-1,active', 'E-2,active', 'E-1,terminated'));
    expect(ids(page)).toEqual(['E-2']);
    expect(page.problems).toEqual([
      { at: 'line 2', reason: 'externalId: E-1 is also on line 4; none of them is read' },
      { at: 'line 4', reason: 'externalId: E-1 is also on line 2; none of them is read' },
    ]);
  });

  it('refuses a modification time that is not an instant', () => {
    const page = read(csv('externalId,status,modifiedAt', 'E-1,active,2026-03-01 10:00'));
    expect(page.problems).toEqual([{ at: 'line 2', reason: expect.stringMatching(/^modifiedAt: must be an RFC 3339 date-time/) }]);
  });

  it('reads JSON with the same headers, as an array or under "workers", bad items by index', () => {
    const workers = [{ externalId: 10482, status: 'active', workEmail: 'a@example.com' }, { externalId: 'E-2', status: 'gone' }, 'nobody'];
    for (const json of [workers, { workers }]) {
      const page = read(Buffer.from(JSON.stringify(json)));
      expect(ids(page)).toEqual(['10482']);
      expect(page.problems).toEqual([
        { at: 'workers[1]', reason: expect.stringMatching(/^status: /) },
        { at: 'workers[2]', reason: 'is not an object of column names and values' },
      ]);
    }
  });
});

describe('a file that changes nothing at all', () => {
  it('lacks a required column: the error names it and the columns the file has', () => {
    const error = failure(() => read(csv('externalId,workEmail', 'E-1,a@example.com')));
    expect(error).toBeInstanceOf(RosterUnreadableError);
    expect(error).toMatchObject({ problem: 'missing-columns', missing: ['status'], found: ['externalId', 'workEmail'] });
    expect(error.message).toContain('"status"');
  });

  it('lacks a column the config names, even an optional one: a renamed column would blank that field for everybody', () => {
    const config = settings({ columns: { department: 'Dept' }, attributes: { costCenter: 'Cost Center' } });
    expect(failure(() => read(csv('externalId,status,Department', 'E-1,active,Sales'), config))).toMatchObject({ problem: 'missing-columns', missing: ['Dept', 'Cost Center'] });
  });

  it('has a needed column twice; an unmapped one twice is no matter', () => {
    expect(failure(() => read(csv('externalId,Status,status', 'E-1,active,active')))).toMatchObject({ problem: 'ambiguous-columns', ambiguous: ['status'] });
    expect(ids(read(csv('externalId,status,Notes,Notes', 'E-1,active,a,b')))).toEqual(['E-1']);
  });

  it('is neither CSV nor a JSON roster', () => {
    expect(failure(() => read(Buffer.from('{"people": 3}')))).toMatchObject({ problem: 'unreadable' });
    expect(failure(() => read(Buffer.from('[{"externalId": ')))).toMatchObject({ problem: 'unreadable' });
    expect(failure(() => read(csv('externalId,status', 'E-1,"active')))).toMatchObject({ problem: 'unreadable' });
    expect(failure(() => read(Buffer.from('')))).toMatchObject({ problem: 'unreadable' });
  });
});

describe('paging', () => {
  const rows = Array.from({ length: FILE_PAGE_ROWS + 20 }, (_, index) => `E-${index},active`);
  const file = csv('externalId,status', ...rows);

  it('reads a large file page by page, the cursor carrying the row offset', () => {
    const first = read(file);
    expect(first.records).toHaveLength(FILE_PAGE_ROWS);
    expect(first.next).toMatch(new RegExp(`^${FILE_PAGE_ROWS}@`));
    const second = read(file, settings(), first.next);
    expect([second.records.length, second.next, ids(second)[0], second.problems]).toEqual([20, null, `E-${FILE_PAGE_ROWS}`, []]);
  });

  it('reports bad rows of a later page by their line in the file', () => {
    const broken = csv('externalId,status', ...rows.map((row, index) => (index === FILE_PAGE_ROWS + 5 ? 'E-x,retired' : row)));
    const second = read(broken, settings(), read(broken).next);
    expect(second.problems).toEqual([{ at: `line ${FILE_PAGE_ROWS + 7}`, reason: expect.stringMatching(/^status: /) }]);
  });

  it('starts over when the file was replaced between pages, and says so, so that the read removes nobody', () => {
    const first = read(file);
    const replaced = read(csv('externalId,status', ...rows.slice(1)), settings(), first.next);
    expect(ids(replaced)[0]).toBe('E-1');
    expect(replaced.problems).toEqual([{ at: 'file', reason: expect.stringContaining('the file changed during the read') }]);
  });
});

describe('the file source', () => {
  it('reads the location in its context through the reader it is given', async () => {
    const locations: string[] = [];
    const context = { apiUrl: 's3://exports/hr.csv', credentials: '', settings: settings(), readObject: async (location: string) => (locations.push(location), csv('externalId,status', 'E-1,active')) };
    expect(ids(await fileSource.readRoster!(context, null))).toEqual(['E-1']);
    expect(locations).toEqual(['s3://exports/hr.csv']);
  });

  it('takes no webhooks', () => {
    const rejection = (() => {
      try {
        fileSource.verify({ headers: {}, body: Buffer.from('{}') }, ['x'], new Date(), settings());
      } catch (error) {
        return error;
      }
    })();
    expect(rejection).toBeInstanceOf(WebhookRejection);
    expect(rejection).toMatchObject({ status: 401, message: 'the file source takes no webhooks' });
  });

  it('refuses a configured attribute name a record cannot carry, at config load', () => {
    const reserved = fileSource.settings.safeParse(JSON.parse('{"attributes": {"__proto__": "X"}}'));
    expect(reserved.error?.issues).toEqual([expect.objectContaining({ path: ['attributes', '__proto__'], message: 'is a reserved name' })]);
    expect(fileSource.settings.safeParse({ attributes: { ['x'.repeat(65)]: 'X' } }).success).toBe(false);
    expect(fileSource.settings.safeParse({ columns: { departmant: 'Dept' } }).success).toBe(false);
  });
});
