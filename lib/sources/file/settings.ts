import * as z from '../../vocabulary/zod.js';
import { WorkerRecordSchema } from '../../vocabulary/worker-record.js';

/**
 * `providers.file` in the config: which header of the export carries which field of the worker
 * record (lib/vocabulary/worker-record.ts). Every field defaults to a header of its own name, so an
 * export written for this product needs no mapping at all (README, "Roster file").
 */

/** The file source's name: its key under `providers` and the prefix of its variables. */
export const FILE_SOURCE_NAME = 'file';

/** The record fields a file can carry. */
export const recordFields = [
  'externalId', 'workEmail', 'personalEmail', 'firstName', 'lastName', 'displayName', 'jobTitle', 'department', 'team',
  'managerWorkEmail', 'location', 'employmentType', 'status', 'startDate', 'endDate', 'terminationDate',
] as const;
export type RecordField = (typeof recordFields)[number];

/** Without these a row means nothing: a file whose header lacks them changes nothing at all. */
export const requiredFields: readonly RecordField[] = ['externalId', 'status'];

/** The default header of the row's own modification time; the column is optional. */
const MODIFIED_AT = 'modifiedAt';

const header = z.string().check(z.trim(), z.minLength(1, 'must name a header'));

/**
 * Attribute names every row's record would refuse (too many, too long, `__proto__`) fail the config
 * once, by the record's own rule, rather than every row. Checked on the object as written: zod's
 * record drops a `__proto__` key before any check of its own could see it.
 */
function recordCanCarry(attributes: Record<string, unknown>, ctx: z.core.$RefinementCtx): void {
  const names = Object.fromEntries(Object.keys(attributes).map((name) => [name, null]));
  const result = WorkerRecordSchema.shape.attributes.safeParse(names);
  for (const issue of result.error?.issues ?? []) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
}

export const FileSettingsSchema = z.strictObject({
  enabled: z._default(z.boolean(), true),
  /** Record field → the header that carries it; a field not named here is read from a header of its own name, when the file has one. */
  columns: z._default(z.strictObject(Object.fromEntries(recordFields.map((field) => [field, z.optional(header)])) as Record<RecordField, z.ZodMiniOptional<typeof header>>), {}),
  /** Custom attribute → the header that carries it (e.g. costCenter: "Cost Center"); rules match them under `match.attributes`. */
  attributes: z._default(
    z.pipe(
      z.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), 'must map attribute names to headers').check(z.superRefine(recordCanCarry)),
      z.record(z.string(), header),
    ),
    {},
  ),
  /** The header of the row's last-modified time (RFC 3339), where the export has one: a row never overrides a newer applied event. */
  modifiedAt: z.optional(header),
  /** The CSV field delimiter, e.g. ";" or "\t" for exports from spreadsheets in some locales. JSON ignores it. */
  delimiter: z._default(z.string().check(z.length(1, 'must be one character')), ','),
});
export type FileSettings = z.output<typeof FileSettingsSchema>;

/** One column the source reads: what it fills, from which header, and whether the file must have it. */
export interface Column {
  /** `status`, `attributes.costCenter`, `modifiedAt`: how problems name it. */
  field: string;
  header: string;
  /**
   * The file must have it: the required fields, and every header the config names. A header the
   * admin named and the file lacks is a renamed column, and reading on would blank that field for
   * everybody; a default header the file lacks is just a field the export does not carry.
   */
  required: boolean;
}

export interface ColumnMap {
  fields: ReadonlyArray<Column & { field: RecordField }>;
  attributes: ReadonlyArray<Column & { attribute: string }>;
  modifiedAt: Column;
}

/** The columns the settings ask for, defaults included. */
export function columnMap(settings: FileSettings): ColumnMap {
  return {
    fields: recordFields.map((field) => {
      const named = settings.columns[field];
      return { field, header: named ?? field, required: requiredFields.includes(field) || named !== undefined };
    }),
    attributes: Object.entries(settings.attributes).map(([attribute, name]) => ({ field: `attributes.${attribute}`, attribute, header: name, required: true })),
    modifiedAt: { field: 'modifiedAt', header: settings.modifiedAt ?? MODIFIED_AT, required: settings.modifiedAt !== undefined },
  };
}

export const allColumns = (map: ColumnMap): Column[] => [...map.fields, ...map.attributes, map.modifiedAt];
