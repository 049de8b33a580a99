import * as z from '../../vocabulary/zod.js';
import { normalizeDate, toInstant } from '../../vocabulary/dates.js';
import { formatPath } from '../../vocabulary/field-path.js';
import { parseJsonBody, validateJson } from '../parse-json.js';
import type { RosterPage, RosterProblem, RosterRecord } from '../roster.js';
import { basicAuth, credentialPair, ProviderApiError, providerRequest } from '../source-api.js';
import { defineSource, WebhookRejection, WORKER_GONE, type FetchContext, type WebhookRequest } from '../source.js';
import { hmac, signatureBytes, signatureDeliveryId, utf8Keys, verifyHmac } from '../signatures.js';
import { WorkerRecordSchema, type WorkerRecord } from '../../vocabulary/worker-record.js';
import { checkAttributeNames } from '../record-path.js';

/**
 * HiBob (Bob) Webhooks v2 (docs/reference/hris-webhooks.md §3.2): thin events (ids only), signed with
 * base64 HMAC-SHA512 of the body in `Bob-Signature`. Every employee event is fetched through
 * `POST /v1/people/search` with a service user; `employee.deleted` means the record is gone.
 * The setup ping is answered 200 and nothing is enqueued. The roster is the same search without a
 * filter (docs/reference/hris-webhooks.md, "Roster reads"); `providers.hibob.attributes` names the
 * fields that carry custom attributes.
 */
const EventSchema = z.object({
  type: z.string().check(z.minLength(1)),
  triggeredAt: z.string().check(z.minLength(1)),
  data: z.looseObject({ employeeId: z.pipe(z.union([z.string().check(z.minLength(1)), z.number()]), z.transform(String)), email: z.nullish(z.string()) }),
});

/** Record fields and the Bob field paths (its field IDs) that carry them. Reconstructed from the docs, like the emulator that serves them. */
const FIELDS = {
  externalId: 'root.id',
  firstName: 'root.firstName',
  lastName: 'root.surname',
  workEmail: 'root.email',
  displayName: 'root.displayName',
  jobTitle: 'work.title',
  department: 'work.department',
  location: 'work.site',
  startDate: 'work.startDate',
  status: 'internal.status',
  terminationDate: 'internal.terminationDate',
  employmentType: 'payroll.employment.type',
} as const;

/** An employee as `/people/search` answers: its id, and each requested field under its path in slashes (`/work/title`) as `{value}`. */
export type BobEmployee = { id: string } & Record<string, unknown>;

const fieldPath = z.string().check(z.regex(/^\w+(\.\w+)+$/, 'must be a Bob field path, e.g. work.custom.costCenter'));

/** `providers.hibob` in the config file. */
const SettingsSchema = z.strictObject({
  enabled: z._default(z.boolean(), true),
  apiUrl: z._default(z.url(), 'https://api.hibob.com'),
  /** Custom attribute → the Bob field path that carries it, e.g. `work.custom.costCenter` or `payroll.costCenter`. */
  attributes: z._default(z.record(z.string(), fieldPath).check(z.superRefine(checkAttributeNames)), {}),
});
type Settings = z.output<typeof SettingsSchema>;

/** A field of a search answer by its path: text, or a number or flag as text; null when empty or not answered. */
function bobValue(employee: BobEmployee, path: string): string | null {
  const entry = employee[`/${path.replaceAll('.', '/')}`];
  const value = entry && typeof entry === 'object' ? (entry as { value?: unknown }).value : undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

export function normalizeBobPerson(employee: BobEmployee, settings: Settings): WorkerRecord {
  const read = (field: keyof typeof FIELDS) => bobValue(employee, FIELDS[field]);
  const employment = read('employmentType')?.toLowerCase() ?? '';
  return validateJson({
    externalId: employee.id,
    workEmail: read('workEmail'),
    firstName: read('firstName'),
    lastName: read('lastName'),
    displayName: read('displayName'),
    jobTitle: read('jobTitle'),
    department: read('department'),
    location: read('location'),
    employmentType: employment.includes('contract') ? 'contractor' : employment.includes('intern') ? 'intern' : employment.includes('temp') ? 'temporary' : 'employee',
    status: read('status')?.toLowerCase() === 'inactive' ? 'terminated' : 'active',
    startDate: normalizeDate(read('startDate')),
    terminationDate: normalizeDate(read('terminationDate')),
    attributes: Object.fromEntries(Object.entries(settings.attributes).map(([name, path]) => [name, bobValue(employee, path)])),
  }, WorkerRecordSchema);
}

const SEARCH = 'POST hibob /v1/people/search';
/** The whole company comes back in one answer: it may take longer than one employee's read. */
const ROSTER_TIMEOUT_MS = 60_000;
const SearchAnswerSchema = z.object({ employees: z.array(z.looseObject({ id: z.pipe(z.union([z.string().check(z.minLength(1)), z.number()]), z.transform(String)) })) });

/**
 * `POST /v1/people/search` for the mapped fields, terminated employees included (`showInactive`);
 * without a filter, everyone the service user may see, in one answer: Bob has no paging.
 */
function searchPeople(context: FetchContext<Settings>, options: { filter?: { fieldPath: 'root.id'; operator: 'equals'; values: string[] }; timeoutMs?: number } = {}) {
  const [user, token] = credentialPair(context.credentials, 'HiBob service user');
  const fields = [...new Set([...Object.values(FIELDS), ...Object.values(context.settings.attributes)])];
  return providerRequest(SEARCH, `${context.apiUrl}/v1/people/search`, {
    method: 'POST',
    headers: { authorization: basicAuth(user, token), 'content-type': 'application/json' },
    // Bob refuses an empty filter list: without a filter the property is left out.
    body: JSON.stringify({ showInactive: true, fields, ...(options.filter ? { filters: [options.filter] } : {}) }),
  }, options.timeoutMs);
}

/** The answer's employees as records; one that does not map is a problem, and the rest are still read. */
function rosterPage(employees: BobEmployee[], settings: Settings): RosterPage & { problems: RosterProblem[] } {
  const records: RosterRecord[] = [];
  const problems: RosterProblem[] = [];
  for (const employee of employees) {
    try {
      // Bob keeps no modification time the search can answer: a pulled record is dated by the read.
      records.push({ record: normalizeBobPerson(employee, settings), modifiedAt: null });
    } catch (error) {
      if (!(error instanceof WebhookRejection)) throw error;
      problems.push({ at: `employee ${employee.id}`, reason: error.message });
    }
  }
  return { records, next: null, problems };
}

/** Bob's setup ping: the string "Ping test" (raw or as JSON), else `{"text": "Ping test"}`. */
function isPing(body: Buffer): boolean {
  const text = body.toString('utf8').trim();
  if (text === 'Ping test') return true;
  try {
    const json = JSON.parse(text) as unknown;
    return json === 'Ping test' || (typeof json === 'object' && json !== null && Object.keys(json).length === 1 && (json as { text?: unknown }).text === 'Ping test');
  } catch {
    return false;
  }
}

const signatureOf = (request: WebhookRequest) => signatureBytes(request, 'bob-signature', 'base64');

export const hiBobSource = defineSource({
  name: 'hibob',
  settings: SettingsSchema,
  secretEnvVar: 'HIBOB_WEBHOOK_SECRET',
  localSecret: 'local-development-only-hibob-secret',

  isHandshake(request) {
    return isPing(request.body);
  },

  verify(request, secrets) {
    verifyHmac({ algorithm: 'sha512', keys: utf8Keys(secrets), message: request.body, received: [signatureOf(request)], header: 'bob-signature' });
  },

  parse(request) {
    const event = parseJsonBody(request.body, EventSchema);
    // Lifecycle (joined, left, inactivated, activated, temporaryLeave), created, updated and table entries: read the employee.
    if (!event.type.startsWith('employee.') && !event.type.startsWith('table.entry.')) return [];
    const occurredAt = toInstant(event.triggeredAt) ?? new Date().toISOString();
    // No delivery id and no timestamp: the signature identifies the delivery (with the body, in the ingest's idempotency key).
    const deliveryId = signatureDeliveryId('hibob', signatureOf(request));
    const base = { workerKey: event.data.employeeId, deliveryId, eventType: event.type, occurredAt };
    const arrival = event.type === 'employee.created' || event.type === 'employee.joined' || event.type === 'employee.activated';
    return [{ ...base, subject: event.type === 'employee.deleted' ? { kind: 'removed', workEmail: event.data.email ?? null } : { kind: 'fetch', mayRevoke: !arrival } }];
  },

  async fetchWorker(workerKey, context) {
    const { status, body } = await searchPeople(context, { filter: { fieldPath: 'root.id', operator: 'equals', values: [workerKey] } });
    const employee = status === 404 ? undefined : (body as { employees?: BobEmployee[] }).employees?.[0];
    return employee ? normalizeBobPerson(employee, context.settings) : WORKER_GONE;
  },

  async readRoster(context) {
    const { status, body } = await searchPeople(context, { timeoutMs: ROSTER_TIMEOUT_MS });
    const answer = SearchAnswerSchema.safeParse(body);
    if (status === 404) throw new ProviderApiError(SEARCH, status, 'not found: check the API URL');
    if (!answer.success) throw new ProviderApiError(SEARCH, status, `unexpected answer at ${formatPath(answer.error.issues[0]!.path) || 'the top'}: ${answer.error.issues[0]!.message}`);
    return rosterPage(answer.data.employees, context.settings);
  },

  sign(body, secret) {
    return { 'content-type': 'application/json', 'bob-signature': hmac('sha512', Buffer.from(secret), body).toString('base64') };
  },
});
