import * as z from '../../vocabulary/zod.js';
import { normalizeDate, toInstant } from '../../vocabulary/dates.js';
import { formatPath } from '../../vocabulary/field-path.js';
import { readJson, validateJson } from '../parse-json.js';
import type { RosterPage, RosterProblem, RosterRecord } from '../roster.js';
import { apiPathSegment, basicAuth, ProviderApiError, providerRequest } from '../source-api.js';
import type { WorkerChange } from '../../vocabulary/worker-change.js';
import { employmentTypes, WorkerRecordSchema, type WorkerRecord } from '../../vocabulary/worker-record.js';
import { defineSource, WebhookRejection, WORKER_GONE, type FetchContext, type WebhookRequest } from '../source.js';
import { hmac, requireFreshTimestamp, requireHeader, signatureBytes, signatureDeliveryId, utf8Keys, verifyHmac } from '../signatures.js';
import { checkAttributeNames } from '../record-path.js';

/**
 * BambooHR (docs/reference/hris-webhooks.md §3.1): event-based webhooks (`employee.*`, ids only: fetched) and
 * field-based ones (`employees[]` with post fields, several per POST, values plain or `{value}`).
 * There is no termination event: a termination is an update of Status, Employment Status or
 * Termination Date. Which fields mean what is the config's `providers.bamboohr.fields`, and which
 * fields carry custom attributes its `attributes`. The roster is one custom report (docs/reference/hris-webhooks.md,
 * "Roster reads"), each employee dated by BambooHR's own change time.
 */

const names = z.pipe(
  z.union([z.string().check(z.minLength(1)), z.array(z.string().check(z.minLength(1))).check(z.minLength(1))]),
  z.transform((value) => (Array.isArray(value) ? value : [value])),
);
/** Each attribute: the BambooHR field names that carry it, API aliases (fetch) and English names (field-based webhooks) alike. */
const fieldDefaults = {
  workEmail: ['workEmail', 'Work Email'],
  firstName: ['firstName', 'First Name'],
  lastName: ['lastName', 'Last Name'],
  jobTitle: ['jobTitle', 'Job Title'],
  department: ['department', 'Department'],
  team: ['division', 'Division'],
  location: ['location', 'Location'],
  employmentStatus: ['employmentHistoryStatus', 'Employment Status'],
  status: ['status', 'Status'],
  startDate: ['hireDate', 'Hire Date'],
  endDate: ['customContractEndDate', 'Contract End Date'],
  terminationDate: ['terminationDate', 'Termination Date'],
};
type BambooField = keyof typeof fieldDefaults;

/** `providers.bamboohr` in the config file. */
const SettingsSchema = z.strictObject({
  enabled: z._default(z.boolean(), true),
  /** https://api.bamboohr.com/api/gateway.php/<company subdomain> */
  apiUrl: z.optional(z.url()),
  /** BambooHR documents no window and retries for up to 155 minutes; deliveries older than this are refused. */
  timestampToleranceSeconds: z._default(z.number().check(z.int(), z.positive()), 3 * 3600),
  fields: z.pipe(
    z._default(z.strictObject(Object.fromEntries(Object.keys(fieldDefaults).map((key) => [key, z.optional(names)])) as Record<BambooField, z.ZodMiniOptional<typeof names>>), {}),
    z.transform((fields) => ({ ...fieldDefaults, ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) }) as Record<BambooField, string[]>),
  ),
  /** "Employment Status" values (tenant-defined in BambooHR) → employment type; matched ignoring case. */
  employmentTypes: z._default(z.record(z.string(), z.enum(employmentTypes)), { contractor: 'contractor', 'full-time': 'employee', 'part-time': 'employee', intern: 'intern', temporary: 'temporary' }),
  /** Custom attribute → the BambooHR field names that carry it: its API alias (reads) and English name (field-based webhooks). */
  attributes: z._default(z.record(z.string(), names).check(z.superRefine(checkAttributeNames)), {}),
});
type Settings = z.output<typeof SettingsSchema>;

const id = z.pipe(z.union([z.string().check(z.minLength(1)), z.number().check(z.int())]), z.transform(String));
const EventBasedSchema = z.object({
  type: z.enum(['employee.created', 'employee.updated', 'employee.deleted']),
  timestamp: z.string(),
  data: z.object({ employeeId: id }),
});
const FieldBasedSchema = z.object({
  employees: z
    .array(z.object({ action: z.enum(['Created', 'Updated', 'Deleted']), id, timestamp: z.string(), fields: z._default(z.record(z.string(), z.unknown()), {}) }))
    .check(z.minLength(1, 'must list at least one employee')),
});

function occurredAt(timestamp: string, path: string): string {
  const instant = toInstant(timestamp);
  if (!instant) throw new WebhookRejection('malformed', `${path}: must be a date-time`);
  return instant;
}

/** The first of `fieldNames` that holds a value; field-based webhooks may wrap values as `{value}`. */
function firstValue(fields: Record<string, unknown>, fieldNames: readonly string[]): string | null {
  for (const name of fieldNames) {
    let value = fields[name];
    if (value && typeof value === 'object' && 'value' in value) value = (value as { value: unknown }).value;
    if (typeof value === 'number') value = String(value);
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return null;
}

/** BambooHR fields (post fields or API aliases) → the worker record. */
export function normalizeBambooFields(workerKey: string, fields: Record<string, unknown>, settings: Settings): WorkerRecord {
  const read = (field: BambooField) => firstValue(fields, settings.fields[field]);
  const employmentStatus = read('employmentStatus');
  const status = read('status');

  const employmentType = employmentStatus
    ? Object.entries(settings.employmentTypes).find(([value]) => value.toLowerCase() === employmentStatus.toLowerCase())?.[1] ?? 'employee'
    : 'employee';
  const terminated = status?.toLowerCase() === 'inactive' || employmentStatus?.toLowerCase() === 'terminated';
  return validateJson({
    externalId: workerKey,
    workEmail: read('workEmail'),
    firstName: read('firstName'),
    lastName: read('lastName'),
    jobTitle: read('jobTitle'),
    department: read('department'),
    team: read('team'),
    location: read('location'),
    employmentType,
    // A future hire date needs no status of its own: decide() reads the dates.
    status: terminated ? 'terminated' : 'active',
    startDate: normalizeDate(read('startDate')),
    endDate: normalizeDate(read('endDate')),
    terminationDate: normalizeDate(read('terminationDate')),
    attributes: Object.fromEntries(Object.entries(settings.attributes).map(([name, fieldNames]) => [name, firstValue(fields, fieldNames)])),
  }, WorkerRecordSchema);
}

/** The mapped fields the API reads by: aliases (names without spaces); English names are for field-based webhooks. */
const apiAliases = (settings: Settings) => [...new Set([...Object.values(settings.fields), ...Object.values(settings.attributes)].flat().filter((name) => !name.includes(' ')))];

const authorization = (context: FetchContext<Settings>) => ({ authorization: basicAuth(context.credentials, 'x') });

/** BambooHR keeps change times since June 2011; asking from before then lists every employee it has a time for. */
const CHANGE_TRACKING_SINCE = '2011-06-01T00:00:00Z';
/** A roster answer may be large: a report of thousands of employees takes longer than one employee's read. */
const ROSTER_TIMEOUT_MS = 60_000;

/** A 2xx answer of the shape the operation documents; anything else is the API's failure, not the worker's. */
async function rosterRequest<S extends z.ZodMiniType>(operation: string, url: string, init: RequestInit, schema: S): Promise<z.output<S>> {
  const { status, body } = await providerRequest(operation, url, init, ROSTER_TIMEOUT_MS);
  if (status === 404) throw new ProviderApiError(operation, status, 'not found: check the company domain in the API URL');
  const answer = schema.safeParse(body);
  if (!answer.success) throw new ProviderApiError(operation, status, `unexpected answer at ${formatPath(answer.error.issues[0]!.path) || 'the top'}: ${answer.error.issues[0]!.message}`);
  return answer.data;
}

const ChangedEmployeesSchema = z.object({ employees: z.record(z.string(), z.object({ id, lastChanged: z.string() })) });
const CustomReportSchema = z.object({ employees: z.array(z.looseObject({ id })) });

/** `GET /v1/employees/changed`: each employee's last change time, by id. */
async function lastChangedTimes(context: FetchContext<Settings>): Promise<Map<string, string>> {
  const operation = 'GET bamboohr /v1/employees/changed';
  const answer = await rosterRequest(operation, `${context.apiUrl}/v1/employees/changed?since=${encodeURIComponent(CHANGE_TRACKING_SINCE)}`, { headers: authorization(context) }, ChangedEmployeesSchema);
  return new Map(Object.values(answer.employees).flatMap(({ id, lastChanged }) => {
    const instant = toInstant(lastChanged);
    return instant ? [[id, instant] as const] : [];
  }));
}

/** `POST /v1/reports/custom`: every employee, active and inactive, with the mapped fields, in one answer (no paging). */
async function customReport(context: FetchContext<Settings>) {
  const operation = 'POST bamboohr /v1/reports/custom';
  const answer = await rosterRequest(operation, `${context.apiUrl}/v1/reports/custom?format=JSON&onlyCurrent=false`, {
    method: 'POST',
    // BambooHR reads the body as JSON only under exactly this content type.
    headers: { ...authorization(context), 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Bitwarden lifecycle roster', fields: apiAliases(context.settings) }),
  }, CustomReportSchema);
  return answer.employees;
}

/** The report's rows as records; a row that does not map is a problem, and the rest are still read. */
function rosterPage(rows: Array<{ id: string } & Record<string, unknown>>, changedAt: Map<string, string>, settings: Settings): RosterPage & { problems: RosterProblem[] } {
  const records: RosterRecord[] = [];
  const problems: RosterProblem[] = [];
  for (const { id: workerKey, ...fields } of rows) {
    try {
      records.push({ record: normalizeBambooFields(workerKey, fields, settings), modifiedAt: changedAt.get(workerKey) ?? null });
    } catch (error) {
      if (!(error instanceof WebhookRejection)) throw error;
      problems.push({ at: `employee ${workerKey}`, reason: error.message });
    }
  }
  return { records, next: null, problems };
}

const signatureOf = (request: WebhookRequest) => signatureBytes(request, 'x-bamboohr-signature', 'hex');

/** BambooHR sends no delivery id: the signature and the timestamp it covers identify a delivery. */
const deliveryIdOf = (request: WebhookRequest): string => signatureDeliveryId('bamboohr', signatureOf(request), requireHeader(request, 'x-bamboohr-timestamp'));

export const bambooHrSource = defineSource({
  name: 'bamboohr',
  settings: SettingsSchema,
  secretEnvVar: 'BAMBOOHR_WEBHOOK_SECRET',
  localSecret: 'local-development-only-bamboohr-key',

  verify(request, secrets, now, settings) {
    const signature = signatureOf(request);
    const timestamp = requireHeader(request, 'x-bamboohr-timestamp');
    // The header's format is undocumented (docs/reference/hris-webhooks.md §3.1), but BambooHR sends Unix seconds;
    // a timestamp whose age cannot be checked would make a captured delivery replayable forever.
    requireFreshTimestamp('x-bamboohr-timestamp', timestamp, now, settings.timestampToleranceSeconds);
    verifyHmac({
      algorithm: 'sha256',
      keys: utf8Keys(secrets),
      message: Buffer.concat([request.body, Buffer.from(timestamp)]),
      received: [signature],
      header: 'x-bamboohr-signature',
    });
  },

  parse(request, settings) {
    const deliveryId = deliveryIdOf(request);
    const json = readJson(request.body);
    if (json && typeof json === 'object' && 'employees' in json) {
      const { employees } = validateJson(json, FieldBasedSchema);
      return employees.map((employee, index): WorkerChange => {
        const base = { workerKey: employee.id, deliveryId, eventType: `employee_with_fields.${employee.action.toLowerCase()}`, occurredAt: occurredAt(employee.timestamp, `employees[${index}].timestamp`) };
        if (employee.action === 'Deleted') return { ...base, subject: { kind: 'removed', workEmail: null } };
        if (Object.keys(employee.fields).length === 0) return { ...base, subject: { kind: 'fetch', mayRevoke: employee.action !== 'Created' } };
        return { ...base, subject: { kind: 'record', worker: normalizeBambooFields(employee.id, employee.fields, settings) } };
      });
    }
    const event = validateJson(json, EventBasedSchema);
    const base = { workerKey: event.data.employeeId, deliveryId, eventType: event.type, occurredAt: occurredAt(event.timestamp, 'timestamp') };
    return [{ ...base, subject: event.type === 'employee.deleted' ? { kind: 'removed', workEmail: null } : { kind: 'fetch', mayRevoke: event.type !== 'employee.created' } }];
  },

  async fetchWorker(workerKey, context) {
    const { status, body } = await providerRequest(
      'GET bamboohr /v1/employees/{id}',
      `${context.apiUrl}/v1/employees/${apiPathSegment(workerKey)}/?fields=${apiAliases(context.settings).map(encodeURIComponent).join(',')}`,
      { headers: authorization(context) },
    );
    if (status === 404) return WORKER_GONE;
    return normalizeBambooFields(workerKey, body as Record<string, unknown>, context.settings);
  },

  async readRoster(context) {
    // The change times first: a record read after them is never dated newer than it is.
    const changedAt = await lastChangedTimes(context);
    return rosterPage(await customReport(context), changedAt, context.settings);
  },

  sign(body, secret, now) {
    const timestamp = String(Math.floor(now.getTime() / 1000));
    return { 'content-type': 'application/json', 'x-bamboohr-timestamp': timestamp, 'x-bamboohr-signature': hmac('sha256', Buffer.from(secret), body, timestamp).toString('hex') };
  },
});
