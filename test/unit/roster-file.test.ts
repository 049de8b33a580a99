import { describe, expect, it } from 'vitest';
import { FILE_PAGE_ROWS, fileSource, readRosterFile, RosterFileError } from '../../lib/sources/file/file.js';

/** A roster file (README, "Roster file"): CSV or JSON, headers mapped by the config, bad rows by line, a wrong header changes nothing. */
const settings = (overrides: Record<string, unknown> = {}) => fileSource.settings.parse(overrides);
const csv = (...lines: string[]) => Buffer.from(lines.join('\n'));

describe('a roster file', () => {
  it('maps rows to worker records through the configured headers, custom attributes and modification time included', () => {
    const mapped = settings({ columns: { externalId: 'Employee ID', workEmail: 'Email', status: 'Status', department: 'Dept' }, attributes: { costCenter: 'Cost Center' }, modifiedAt: 'Updated' });
    const page = readRosterFile(csv('Employee ID,Email,Status,Dept,Cost Center,Updated', 'E-1,Ana@Example.com,active,Engineering,CC-901,2026-03-01T10:00:00Z', 'E-2,ben@example.com,terminated,Sales,,'), 'hr.csv', mapped, null);
    expect(page.problems).toEqual([]);
    expect(page.next).toBeNull();
    expect(page.records).toEqual([
      { record: expect.objectContaining({ externalId: 'E-1', workEmail: 'ana@example.com', status: 'active', department: 'Engineering', attributes: { costCenter: 'CC-901' } }), modifiedAt: '2026-03-01T10:00:00.000Z' },
      { record: expect.objectContaining({ externalId: 'E-2', status: 'terminated', department: 'Sales', attributes: { costCenter: null } }), modifiedAt: null },
    ]);
  });

  it('reports each bad row by its line with the reason, and still reads the others', () => {
    const page = readRosterFile(csv('externalId,workEmail,status,endDate', 'E-1,a@example.com,active,', 'E-2,not-an-email,active,', '', 'E-3,c@example.com,retired,', 'E-4,d@example.com,active,2024-02-30'), 'hr.csv', settings(), null);
    expect(page.records.map((entry) => entry.record.externalId)).toEqual(['E-1']);
    expect(page.problems).toEqual([
      { at: 'line 3', reason: 'workEmail: must be an e-mail address' },
      { at: 'line 5', reason: expect.stringMatching(/^status: /) },
      { at: 'line 6', reason: expect.stringMatching(/^endDate: /) },
    ]);
  });

  it('refuses a whole file whose header lacks a required column, or names one twice', () => {
    expect(() => readRosterFile(csv('externalId,workEmail', 'E-1,a@example.com'), 'hr.csv', settings(), null)).toThrow(RosterFileError);
    expect(() => readRosterFile(csv('externalId,workEmail', 'E-1,a@example.com'), 'hr.csv', settings(), null)).toThrow('the header lacks the column(s) "status"; it has "externalId", "workEmail"');
    expect(() => readRosterFile(csv('externalId,status,status', 'E-1,active,active'), 'hr.csv', settings(), null)).toThrow('the header names "status" more than once');
  });

  it('reads JSON with the same headers, and refuses what is not a roster', () => {
    const page = readRosterFile(Buffer.from(JSON.stringify({ workers: [{ externalId: 'E-1', status: 'active', workEmail: 'a@example.com' }, { externalId: 'E-2', status: 'gone' }] })), 'hr.json', settings(), null);
    expect(page.records.map((entry) => entry.record.externalId)).toEqual(['E-1']);
    expect(page.problems).toEqual([{ at: 'workers[1]', reason: expect.stringMatching(/^status: /) }]);
    expect(() => readRosterFile(Buffer.from('{"people": 3}'), 'hr.json', settings(), null)).toThrow(RosterFileError);
  });

  it('is read page by page, so a large export never outlives a Lambda invocation', () => {
    const rows = Array.from({ length: FILE_PAGE_ROWS + 20 }, (_, index) => `E-${index},active`);
    const first = readRosterFile(csv('externalId,status', ...rows), 'hr.csv', settings(), null);
    expect([first.records.length, first.next]).toEqual([FILE_PAGE_ROWS, String(FILE_PAGE_ROWS)]);
    const second = readRosterFile(csv('externalId,status', ...rows), 'hr.csv', settings(), first.next);
    expect([second.records.length, second.next, second.records[0]!.record.externalId]).toEqual([20, null, `E-${FILE_PAGE_ROWS}`]);
  });

  it('takes no webhooks', async () => {
    expect(() => fileSource.verify({ headers: {}, body: Buffer.from('{}') }, ['x'], new Date(), settings())).toThrow('the file source takes no webhooks');
  });
});
