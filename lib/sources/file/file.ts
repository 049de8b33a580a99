import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { formatPath } from '../../vocabulary/field-path.js';
import { WorkerRecordSchema } from '../../vocabulary/worker-record.js';
import { RosterUnreadableError, type RosterPage, type RosterProblem, type RosterRecord } from '../roster.js';
import { defineSource, WebhookRejection } from '../source.js';

/**
 * A roster file: a CSV or JSON export, for every HR system without a usable API and for
 * migrations (README, "Roster file"). Its rows are the generic format's worker record
 * (docs/reference/hris-webhooks.md §5), under the header names the config maps. A file has no
 * webhooks; it is read by `lifecycle sync --from FILE`, or in AWS when an export lands in the
 * stack's roster bucket.
 */

/** The record fields a file can carry, each under a header of the same name unless `providers.file.columns` says otherwise. */
const recordFields = [
  'externalId', 'workEmail', 'personalEmail', 'firstName', 'lastName', 'displayName', 'jobTitle', 'department', 'team',
  'managerWorkEmail', 'location', 'employmentType', 'status', 'startDate', 'endDate', 'terminationDate',
] as const;
type RecordField = (typeof recordFields)[number];

/** Without these a row means nothing: a file whose header lacks them changes nothing at all. */
const requiredFields: readonly RecordField[] = ['externalId', 'status'];

/** Rows a page carries: a large export is read over several invocations, never past a Lambda's time. */
export const FILE_PAGE_ROWS = 500;

const header = z.string().trim().min(1);
const SettingsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Record field → the header that carries it. */
  columns: z.strictObject(Object.fromEntries(recordFields.map((field) => [field, header.optional()])) as Record<RecordField, z.ZodOptional<typeof header>>).default({}),
  /** Custom attribute → the header that carries it (e.g. costCenter: "Cost Center"); rules match them under `attributes`. */
  attributes: z.record(z.string().min(1), header).default({}),
  /** The header of the row's last-modified time, if the export has one: a row never overrides a newer applied event. */
  modifiedAt: header.optional(),
  delimiter: z.string().length(1).default(','),
});
type Settings = z.output<typeof SettingsSchema>;

/** The file cannot be read as a roster: its header lacks a required column, or it is not CSV or JSON. Nothing is changed. */
export class RosterFileError extends RosterUnreadableError {
  override readonly name = 'RosterFileError';
}

interface Row {
  at: string;
  values: Record<string, string>;
}

const headerOf = (settings: Settings, field: RecordField) => settings.columns[field] ?? field;

/** The rows of a CSV file, each with its line; the header row is line 1. */
function csvRows(text: string, settings: Settings): { headers: string[]; rows: Row[] } {
  let parsed: Array<{ record: string[]; info: { lines: number } }>;
  try {
    parsed = parseCsv(text, { bom: true, delimiter: settings.delimiter, skip_empty_lines: true, trim: true, info: true }) as unknown as typeof parsed;
  } catch (error) {
    throw new RosterFileError(`the file is not valid CSV: ${(error as Error).message}`);
  }
  const [first, ...rest] = parsed;
  if (!first) throw new RosterFileError('the file is empty');
  const headers = first.record;
  return { headers, rows: rest.map(({ record, info }) => ({ at: `line ${info.lines}`, values: Object.fromEntries(headers.map((name, index) => [name, record[index] ?? ''])) })) };
}

/** The rows of a JSON file: an array of objects (or `{ "workers": [...] }`) keyed by the same headers. */
function jsonRows(text: string): { headers: string[]; rows: Row[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new RosterFileError(`the file is not valid JSON: ${(error as Error).message}`);
  }
  const list = Array.isArray(data) ? data : (data as { workers?: unknown })?.workers;
  if (!Array.isArray(list)) throw new RosterFileError('a JSON roster is an array of workers, or { "workers": [...] }');
  const rows = list.map((item, index): Row => ({
    at: `workers[${index}]`,
    values: Object.fromEntries(Object.entries((item ?? {}) as Record<string, unknown>).map(([key, value]) => [key, value === null || value === undefined ? '' : String(value)])),
  }));
  return { headers: [...new Set(rows.flatMap((row) => Object.keys(row.values)))], rows };
}

/** Refuses a file whose header would make every row wrong: a required column missing, or a mapped column twice. */
function checkHeader(headers: readonly string[], settings: Settings): void {
  const missing = requiredFields.map((field) => headerOf(settings, field)).filter((name) => !headers.includes(name));
  if (missing.length > 0) throw new RosterFileError(`the header lacks the column(s) ${missing.map((name) => `"${name}"`).join(', ')}; it has ${headers.map((name) => `"${name}"`).join(', ')}`);
  const twice = headers.filter((name, index) => headers.indexOf(name) !== index);
  if (twice.length > 0) throw new RosterFileError(`the header names ${[...new Set(twice)].map((name) => `"${name}"`).join(', ')} more than once`);
}

/** One row as a worker record, or the problem that keeps it out (the rest of the file is still read). */
function recordOf(row: Row, settings: Settings): { entry: RosterRecord } | { problem: RosterProblem } {
  const value = (name: string | undefined) => {
    const text = name === undefined ? undefined : row.values[name]?.trim();
    return text ? text : null;
  };
  const input = {
    ...Object.fromEntries(recordFields.map((field) => [field, value(headerOf(settings, field))])),
    attributes: Object.fromEntries(Object.entries(settings.attributes).map(([attribute, name]) => [attribute, value(name)])),
  };
  const parsed = WorkerRecordSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { problem: { at: row.at, reason: `${formatPath(issue.path)}: ${issue.message}` } };
  }
  const modifiedAt = value(settings.modifiedAt);
  const instant = modifiedAt ? Date.parse(modifiedAt) : Number.NaN;
  if (modifiedAt && Number.isNaN(instant)) return { problem: { at: row.at, reason: `${settings.modifiedAt}: must be a date-time` } };
  return { entry: { record: parsed.data, modifiedAt: modifiedAt ? new Date(instant).toISOString() : null } };
}

/** Reads one page of a roster file: rows `[cursor, cursor + FILE_PAGE_ROWS)`. */
export function readRosterFile(bytes: Buffer, location: string, settings: Settings, cursor: string | null): RosterPage & { problems: RosterProblem[] } {
  const text = bytes.toString('utf8');
  const { headers, rows } = /\.json$/i.test(location) ? jsonRows(text) : csvRows(text, settings);
  checkHeader(headers, settings);
  const offset = Number(cursor ?? 0);
  const records: RosterRecord[] = [];
  const problems: RosterProblem[] = [];
  for (const row of rows.slice(offset, offset + FILE_PAGE_ROWS)) {
    const read = recordOf(row, settings);
    if ('entry' in read) records.push(read.entry);
    else problems.push(read.problem);
  }
  return { records, problems, next: offset + FILE_PAGE_ROWS < rows.length ? String(offset + FILE_PAGE_ROWS) : null };
}

export const fileSource = defineSource({
  name: 'file',
  settings: SettingsSchema,
  secretEnvVar: 'FILE_WEBHOOK_SECRET',
  localSecret: 'a-roster-file-takes-no-webhooks',

  verify() {
    throw new WebhookRejection('unsigned', 'the file source takes no webhooks: run npx lifecycle sync --from FILE, or drop the export in the roster bucket');
  },

  parse() {
    return [];
  },

  sign() {
    return {};
  },

  /** `context.apiUrl` is the file's location: a path, or `s3://bucket/key`; `context.readObject` reads it. */
  async readRoster(context, cursor) {
    if (!context.readObject) throw new RosterFileError(`nothing can read ${context.apiUrl}`);
    return readRosterFile(await context.readObject(context.apiUrl), context.apiUrl, context.settings, cursor);
  },
});
