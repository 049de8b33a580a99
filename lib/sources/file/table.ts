import { CsvError, parse as parseCsv } from 'csv-parse/sync';

/**
 * A roster file as a table: its headers and its rows, each row with where it is in the file, in
 * the words of the person who will fix it (`line 14` of a CSV, `workers[12]` of a JSON array).
 */
export interface Row {
  at: string;
  /** The row's values by header key (see headerKey). */
  values: ReadonlyMap<string, unknown>;
  /** Why the row cannot be read at all (a CSV row with the wrong number of cells), or null. */
  problem: string | null;
}

export interface Table {
  /** The headers as the file spells them: for messages. */
  headers: string[];
  rows: Row[];
}

/** The file is not a table this source can read (not CSV or JSON, or no header). */
export class UnreadableTableError extends Error {
  override readonly name = 'UnreadableTableError';
}

/** How headers are compared: spreadsheets re-case and pad them, people do not mean a different column by that. */
export const headerKey = (header: string) => header.trim().toLowerCase();

/** A file whose first character is `[` or `{` is JSON; anything else is CSV (a CSV header never starts so). */
export function readTable(bytes: Buffer, delimiter: string): Table {
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new UnreadableTableError('the file is empty');
  return /^\s*[[{]/.test(text) ? jsonTable(text) : csvTable(bytes, delimiter);
}

interface ParsedRecord {
  record: string[];
  info: { bytes: number };
}

/**
 * CSV by csv-parse. A row's line is counted from the bytes before it, not from csv-parse's own line
 * counter: that one names the line where a row ends, and counts a CRLF inside quotes as two.
 */
function csvTable(bytes: Buffer, delimiter: string): Table {
  let parsed: ParsedRecord[];
  try {
    // Empty lines stay records here, so that every byte is counted; they are dropped below.
    parsed = parseCsv(bytes, { bom: true, delimiter, info: true, relax_column_count: true, skip_empty_lines: false }) as unknown as ParsedRecord[];
  } catch (error) {
    if (error instanceof CsvError) throw new UnreadableTableError(`the file is not valid CSV: ${error.message}`);
    throw error;
  }
  const [first, ...rest] = parsed;
  const headers = first!.record;
  const keys = headers.map(headerKey);
  let line = 1 + lineBreaks(bytes.subarray(0, first!.info.bytes));
  const rows: Row[] = [];
  let end = first!.info.bytes;
  for (const { record, info } of rest) {
    const at = `line ${line}`;
    line += lineBreaks(bytes.subarray(end, info.bytes));
    end = info.bytes;
    if (record.every((cell) => cell.trim() === '')) continue;
    const problem = record.length === headers.length ? null : `has ${record.length} cells where the header has ${headers.length}`;
    rows.push({ at, values: new Map(keys.map((key, index) => [key, record[index]])), problem });
  }
  return { headers, rows };
}

/** Line breaks in a run of bytes: CRLF, LF or a lone CR each end one line. */
const lineBreaks = (bytes: Buffer) => bytes.toString('latin1').match(/\r\n|\r|\n/g)?.length ?? 0;

/** JSON: an array of objects keyed by the same headers as a CSV file, or `{ "workers": [...] }`. */
function jsonTable(text: string): Table {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UnreadableTableError(`the file is not valid JSON: ${(error as Error).message}`);
  }
  const workers = Array.isArray(data) ? data : isObject(data) && Array.isArray(data.workers) ? (data.workers as unknown[]) : null;
  if (!workers) throw new UnreadableTableError('a JSON roster is an array of workers, or { "workers": [...] }');
  const headers = [...new Set(workers.flatMap((worker) => (isObject(worker) ? Object.keys(worker) : [])))];
  const rows = workers.map((worker, index): Row => ({
    at: `workers[${index}]`,
    values: new Map(isObject(worker) ? Object.entries(worker).map(([header, value]) => [headerKey(header), value]) : []),
    problem: isObject(worker) ? null : 'is not an object of column names and values',
  }));
  return { headers, rows };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
