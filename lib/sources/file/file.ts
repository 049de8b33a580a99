import { createHash } from 'node:crypto';
import * as z from '../../vocabulary/zod.js';
import { formatPath } from '../../vocabulary/field-path.js';
import { WorkerRecordSchema } from '../../vocabulary/worker-record.js';
import { RosterUnreadableError, type RosterPage, type RosterProblem, type RosterRecord } from '../roster.js';
import { defineSource, WebhookRejection, type FetchContext } from '../source.js';
import { allColumns, columnMap, FILE_SOURCE_NAME, FileSettingsSchema, requiredFields, type Column, type ColumnMap, type FileSettings } from './settings.js';
import { headerKey, readTable, UnreadableTableError, type Row, type Table } from './table.js';

/**
 * A roster file: a CSV or JSON export, for every HR system without a usable API and for
 * migrations (README, "Roster file"). Its rows are the generic format's worker record
 * (docs/reference/hris-webhooks.md §5) under the headers `providers.file` maps. It has no
 * webhooks and no schedule: it is read when someone hands it over (`lifecycle sync --from FILE`).
 *
 * Where the file is travels as `FetchContext.apiUrl` (a local path, or `s3://bucket/key`), and its
 * bytes come through `FetchContext.readObject`, which the composition root supplies
 * (lib/runtime/dependencies.ts): this folder never imports an AWS SDK.
 */

/** Rows a page carries: every page re-reads the file, and a large export is read over several invocations, never past a Lambda's time. */
export const FILE_PAGE_ROWS = 500;

/** Why a file changes nothing at all; the CLI and tests route on this, never on the message. */
export type RosterFileProblem = 'unreadable' | 'missing-columns' | 'ambiguous-columns';

/** The file cannot be read as a roster: nothing was sent, nothing was changed. */
export class RosterFileError extends RosterUnreadableError {
  override readonly name = 'RosterFileError';
  constructor(
    readonly problem: RosterFileProblem,
    message: string,
    /** The header's columns as the file spells them (empty when the file has no header). */
    readonly found: readonly string[] = [],
    /** The headers the config needs and the file lacks. */
    readonly missing: readonly string[] = [],
    /** Needed headers the file has more than once: which one is meant cannot be told. */
    readonly ambiguous: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Reads one page of a roster file: rows `[offset, offset + FILE_PAGE_ROWS)` of the file as it is now. */
export function readRosterFile(bytes: Buffer, settings: FileSettings, cursor: string | null): RosterPage & { problems: RosterProblem[] } {
  const columns = columnMap(settings);
  const table = tableOf(bytes, settings);
  checkHeader(table.headers, columns);

  const fingerprint = fingerprintOf(bytes);
  const resumed = resumeAt(cursor, fingerprint);
  const problems: RosterProblem[] = resumed.changed ? [fileChanged] : [];
  const page = table.rows.slice(resumed.offset, resumed.offset + FILE_PAGE_ROWS);
  const shared = sharedIds(table.rows, columns);
  const records: RosterRecord[] = [];
  for (const row of page) {
    const read = recordOf(row, columns, shared);
    if ('problem' in read) problems.push({ at: row.at, reason: read.problem });
    else records.push(read.entry);
  }
  const end = resumed.offset + page.length;
  return { records, problems, next: end < table.rows.length ? cursorOf(end, fingerprint) : null };
}

function tableOf(bytes: Buffer, settings: FileSettings): Table {
  try {
    return readTable(bytes, settings.delimiter);
  } catch (error) {
    if (error instanceof UnreadableTableError) throw new RosterFileError('unreadable', error.message);
    throw error;
  }
}

/** Refuses a header that would make rows wrong: a needed column missing, or one the file has twice. */
function checkHeader(headers: readonly string[], columns: ColumnMap): void {
  const count = new Map<string, number>();
  for (const header of headers) count.set(headerKey(header), (count.get(headerKey(header)) ?? 0) + 1);
  // The record's own required fields first: without them no row means anything.
  const needed = allColumns(columns).sort((a, b) => Number(isRecordRequired(b)) - Number(isRecordRequired(a)));
  const missing = unique(needed.filter((column) => column.required && !count.has(headerKey(column.header))).map((column) => column.header));
  const ambiguous = unique(needed.filter((column) => (count.get(headerKey(column.header)) ?? 0) > 1).map((column) => column.header));
  if (missing.length === 0 && ambiguous.length === 0) return;
  const found = `the file's header has ${quoted(headers)}`;
  if (missing.length > 0) {
    throw new RosterFileError('missing-columns', `the header lacks the column(s) ${quoted(missing)} (${forFields(needed, missing)}); ${found}`, headers, missing, ambiguous);
  }
  throw new RosterFileError('ambiguous-columns', `the header has the column(s) ${quoted(ambiguous)} more than once, so which one is meant cannot be told; ${found}`, headers, missing, ambiguous);
}

const isRecordRequired = (column: Column) => (requiredFields as readonly string[]).includes(column.field);
const unique = (names: string[]) => [...new Set(names)];
const quoted = (names: readonly string[]) => names.map((name) => `"${name}"`).join(', ');
/** `"Status" for status`: the config's word beside the file's, for a mapped column. */
const forFields = (columns: readonly Column[], headers: readonly string[]) =>
  headers.map((header) => `"${header}" for ${columns.filter((column) => column.header === header).map((column) => column.field).join(' and ')}`).join(', ');

/** The cursor names the row offset and the file it counts in. */
const cursorOf = (offset: number, fingerprint: string) => `${offset}@${fingerprint}`;
const fingerprintOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/**
 * Where a page starts. A file replaced between two pages (a new export over the old one) makes
 * the offset count in another file: rows would be skipped, and a skipped worker would look
 * absent. The read starts over on the new file instead, and says so, so that it removes nobody.
 */
function resumeAt(cursor: string | null, fingerprint: string): { offset: number; changed: boolean } {
  if (cursor === null) return { offset: 0, changed: false };
  const match = /^(\d+)@([0-9a-f]+)$/.exec(cursor);
  if (!match || match[2] !== fingerprint) return { offset: 0, changed: true };
  return { offset: Number(match[1]), changed: false };
}

const fileChanged: RosterProblem = { at: 'file', reason: 'the file changed during the read: it was read again from its first row, and this read removes nobody' };

/**
 * Worker ids on more than one row, with every place they are. Which row is right cannot be told,
 * so none of them is sent (and two writes of one worker in a page would also be refused by DynamoDB).
 */
function sharedIds(rows: readonly Row[], columns: ColumnMap): Map<string, string[]> {
  const idColumn = headerKey(columns.fields.find((column) => column.field === 'externalId')!.header);
  const places = new Map<string, string[]>();
  for (const row of rows) {
    const id = textOf(row.values.get(idColumn));
    if (typeof id === 'string') places.set(id, [...(places.get(id) ?? []), row.at]);
  }
  return new Map([...places].filter(([, at]) => at.length > 1));
}

/** One row as a worker record, or why it is kept out (the rest of the file is still read). */
function recordOf(row: Row, columns: ColumnMap, shared: ReadonlyMap<string, string[]>): { entry: RosterRecord } | { problem: string } {
  if (row.problem) return { problem: row.problem };
  const cell = (column: Column) => textOf(row.values.get(headerKey(column.header)));
  const input: Record<string, unknown> = Object.fromEntries(columns.fields.map((column) => [column.field, cell(column)]));
  input.attributes = Object.fromEntries(columns.attributes.map((column) => [column.attribute, cell(column)]));

  const empty = requiredFields.filter((field) => input[field] === null);
  if (empty.length > 0) return { problem: empty.map((field) => `${field}: is required`).join('; ') };
  const elsewhere = shared.get(input.externalId as string);
  if (elsewhere) return { problem: `externalId: ${String(input.externalId)} is also on ${elsewhere.filter((at) => at !== row.at).join(', ')}; none of them is read` };

  const parsed = WorkerRecordSchema.safeParse(input);
  if (!parsed.success) return { problem: parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ') };
  const modifiedAt = instantOf(cell(columns.modifiedAt));
  if (modifiedAt === undefined) return { problem: 'modifiedAt: must be an RFC 3339 date-time with its offset, e.g. 2026-03-01T09:30:00Z' };
  return { entry: { record: parsed.data, modifiedAt } };
}

/**
 * A cell as the record's text: blank is none. JSON numbers and booleans read as their text (an
 * export may write an id as 10482); objects and arrays pass through for the schema to refuse.
 */
function textOf(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return value;
  return value.trim() === '' ? null : value.trim();
}

const RFC3339 = z.iso.datetime({ offset: true });

/** The modification time as an ISO instant; null when the row has none, undefined when it is not a time (a time without an offset is ambiguous). */
function instantOf(value: unknown): string | null | undefined {
  if (value === null) return null;
  return RFC3339.safeParse(value).success ? new Date(value as string).toISOString() : undefined;
}

export const fileSource = defineSource({
  name: FILE_SOURCE_NAME,
  settings: FileSettingsSchema,
  // Only read: no webhook route, no webhook secret. The interface still names one, never used.
  takesWebhooks: false,
  secretEnvVar: 'FILE_WEBHOOK_SECRET',
  localSecret: 'the-file-source-takes-no-webhooks',

  /** A file is handed over, never posted: every delivery is refused (401), whatever it carries. */
  verify() {
    throw new WebhookRejection('unsigned', 'the file source takes no webhooks');
  },

  /** Unreachable (verify refuses first); the interface requires it. */
  parse() {
    return [];
  },

  /** There is no delivery to sign. */
  sign() {
    return {};
  },

  /** `context.apiUrl` is the file's location (a path, or `s3://bucket/key`), `context.readObject` reads its bytes. */
  async readRoster(context: FetchContext<FileSettings>, cursor: string | null) {
    if (!context.readObject) throw new Error(`the file source reads ${context.apiUrl} through context.readObject, and none was given`);
    return readRosterFile(await context.readObject(context.apiUrl), context.settings, cursor);
  },
});
