import * as z from '../../vocabulary/zod.js';
import { normalizeDate, toInstant } from '../../vocabulary/dates.js';
import { formatPath } from '../../vocabulary/field-path.js';
import { parseJsonBody, validateJson } from '../parse-json.js';
import { attributePathsSetting, attributesOf } from '../record-path.js';
import type { RosterPage, RosterProblem, RosterRecord } from '../roster.js';
import { apiPathSegment, credentialPair, ProviderApiError, providerRequest } from '../source-api.js';
import { defineSource, WebhookRejection, WORKER_GONE, type FetchContext, type WebhookRequest } from '../source.js';
import { hmac, signatureBytes, signatureDeliveryId, utf8Keys, verifyHmac } from '../signatures.js';
import { WorkerRecordSchema, type WorkerRecord } from '../../vocabulary/worker-record.js';

/**
 * Merge HRIS (docs/reference/hris-webhooks.md §3.3): `Employee.*` and `Employment.*` hooks carrying the common
 * model, signed with base64url HMAC-SHA256 of the body. Job title lives on the Employment and
 * the department is a Group, and an Employment hook names its employee only by Merge id, so the
 * worker key is Merge's employee id and every change is read back with
 * `GET /api/hris/v1/employees/{id}?expand=employments,groups,work_location`. The roster is the same
 * model listed by `GET /api/hris/v1/employees`, page by page (docs/reference/hris-webhooks.md,
 * "Roster reads"); `providers.merge.attributes` maps custom attributes to paths into the Employee.
 */
const EventSchema = z.object({
  hook: z.object({ event: z.string().check(z.minLength(1)) }),
  data: z.looseObject({ id: z.optional(z.string()), employee: z.nullish(z.string()), modified_at: z.nullish(z.string()), work_email: z.nullish(z.string()), remote_was_deleted: z.nullish(z.boolean()) }),
});

/** An expanded related object keeps its own modification time. */
interface Related {
  modified_at?: string | null;
}

interface MergeEmployee {
  id: string;
  modified_at?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  display_full_name?: string | null;
  work_email?: string | null;
  personal_email?: string | null;
  employments?: Array<(Related & { job_title?: string | null; employment_type?: string | null; effective_date?: string | null }) | string>;
  groups?: Array<(Related & { name?: string | null; type?: string | null }) | string>;
  work_location?: (Related & { name?: string | null }) | string | null;
  start_date?: string | null;
  hire_date?: string | null;
  employment_status?: 'ACTIVE' | 'PENDING' | 'INACTIVE' | null;
  termination_date?: string | null;
  remote_was_deleted?: boolean;
}

/** `providers.merge` in the config file. */
const SettingsSchema = z.strictObject({
  enabled: z._default(z.boolean(), true),
  apiUrl: z._default(z.url(), 'https://api.merge.dev'),
  /** Custom attribute → a path into the Employee as the API answers it, e.g. `custom_fields.cost_center` (lib/sources/record-path.ts). */
  attributes: attributePathsSetting('custom_fields.cost_center'),
});
type Settings = z.output<typeof SettingsSchema>;

const employmentTypes: Record<string, WorkerRecord['employmentType']> = { FULL_TIME: 'employee', PART_TIME: 'employee', INTERN: 'intern', CONTRACTOR: 'contractor', FREELANCE: 'contractor' };

export function normalizeMergeEmployee(employee: MergeEmployee, settings: Settings): WorkerRecord {
  // With job history, a title change adds an Employment: the newest effective one is current.
  const employments = (employee.employments ?? []).filter((entry) => typeof entry === 'object');
  const current = employments.sort((a, b) => (b.effective_date ?? '').localeCompare(a.effective_date ?? ''))[0];
  const groups = (employee.groups ?? []).filter((entry) => typeof entry === 'object');
  const named = (type: string) => groups.find((group) => group.type === type)?.name ?? null;
  return validateJson({
    externalId: employee.id,
    workEmail: employee.work_email ?? null,
    personalEmail: employee.personal_email ?? null,
    firstName: employee.first_name ?? null,
    lastName: employee.last_name ?? null,
    displayName: employee.display_full_name ?? null,
    jobTitle: current?.job_title ?? null,
    department: named('DEPARTMENT'),
    team: named('TEAM'),
    location: typeof employee.work_location === 'object' ? (employee.work_location?.name ?? null) : null,
    employmentType: employmentTypes[current?.employment_type ?? ''] ?? 'employee',
    status: employee.employment_status === 'INACTIVE' ? 'terminated' : employee.employment_status === 'PENDING' ? 'pending' : 'active',
    startDate: normalizeDate(employee.start_date ?? employee.hire_date),
    terminationDate: normalizeDate(employee.termination_date),
    attributes: attributesOf(employee, settings.attributes),
  }, WorkerRecordSchema);
}

const LIST = 'GET merge /api/hris/v1/employees';
/** Merge's largest page. */
const PAGE_SIZE = 100;
const EXPAND = 'employments,groups,work_location';
const ListAnswerSchema = z.object({ next: z.nullable(z.string()), results: z.array(z.looseObject({ id: z.string().check(z.minLength(1)) })) });

const authorization = (credentials: string) => {
  const [apiKey, accountToken] = credentialPair(credentials, 'Merge (api key:account token)');
  return { authorization: `Bearer ${apiKey}`, 'x-account-token': accountToken };
};

/** The original third-party data is asked for only when an attribute is read from it. */
const needsRemoteData = (settings: Settings) => Object.values(settings.attributes).some((path) => path.startsWith('remote_data'));

/**
 * One page of `GET /api/hris/v1/employees`, expanded as the webhook path reads an employee.
 * Employees deleted in the HR system are left out (Merge's default): the roster reads them as absent.
 * Merge asks that every parameter but `cursor` and `page_size` stay the same from page to page.
 */
async function listEmployees(context: FetchContext<Settings>, cursor: string | null, modifiedAfter?: string): Promise<RosterPage & { problems: RosterProblem[] }> {
  const query = new URLSearchParams({ page_size: String(PAGE_SIZE), expand: EXPAND });
  if (needsRemoteData(context.settings)) query.set('include_remote_data', 'true');
  if (modifiedAfter) query.set('modified_after', modifiedAfter);
  if (cursor) query.set('cursor', cursor);
  const { status, body } = await providerRequest(LIST, `${context.apiUrl}/api/hris/v1/employees?${query}`, { headers: authorization(context.credentials) });
  if (status === 404) throw new ProviderApiError(LIST, status, 'not found: check the API URL');
  const answer = ListAnswerSchema.safeParse(body);
  if (!answer.success) throw new ProviderApiError(LIST, status, `unexpected answer at ${formatPath(answer.error.issues[0]!.path) || 'the top'}: ${answer.error.issues[0]!.message}`);
  return { ...rosterRecords(answer.data.results as MergeEmployee[], context.settings), next: answer.data.next };
}

/** The page's employees as records; one that does not map is a problem, and the rest are still read. */
function rosterRecords(employees: MergeEmployee[], settings: Settings): { records: RosterRecord[]; problems: RosterProblem[] } {
  const records: RosterRecord[] = [];
  const problems: RosterProblem[] = [];
  for (const employee of employees) {
    try {
      records.push({ record: normalizeMergeEmployee(employee, settings), modifiedAt: lastModified(employee) });
    } catch (error) {
      if (!(error instanceof WebhookRejection)) throw error;
      problems.push({ at: `employee ${employee.id}`, reason: error.message });
    }
  }
  return { records, problems };
}

/**
 * The newest `modified_at` of the employee and the objects expanded into it: a new title is a
 * change of its Employment, which leaves the Employee's own time as it was.
 */
function lastModified(employee: MergeEmployee): string | null {
  const related = [employee, ...(employee.employments ?? []), ...(employee.groups ?? []), employee.work_location];
  const times = related.flatMap((entry) => (entry && typeof entry === 'object' && entry.modified_at ? [toInstant(entry.modified_at)] : [])).filter((time) => time !== null);
  return times.length > 0 ? times.reduce((newest, time) => (Date.parse(time) > Date.parse(newest) ? time : newest)) : null;
}

/**
 * Only the employees Merge changed after `since` (`modified_after`), page by page. Such a read
 * cannot tell who left, so it never replaces the whole roster's read; and a change Merge keeps
 * only in `remote_data` does not move `modified_at`.
 */
export const readMergeChanges = (context: FetchContext<Settings>, since: string, cursor: string | null) => listEmployees(context, cursor, since);

/** base64url; Merge's samples keep the `=` padding (docs/reference/hris-webhooks.md §3.3), so it is optional. */
const signatureOf = (request: WebhookRequest) => signatureBytes(request, 'x-merge-webhook-signature', 'base64url');

export const mergeSource = defineSource({
  name: 'merge',
  settings: SettingsSchema,
  secretEnvVar: 'MERGE_WEBHOOK_SECRET',
  localSecret: 'local-development-only-merge-key',

  verify(request, secrets) {
    verifyHmac({ algorithm: 'sha256', keys: utf8Keys(secrets), message: request.body, received: [signatureOf(request)], header: 'x-merge-webhook-signature' });
  },

  parse(request) {
    const event = parseJsonBody(request.body, EventSchema);
    const [model, change] = event.hook.event.split('.');
    const workerKey = model === 'Employee' ? event.data.id : model === 'Employment' ? event.data.employee : undefined;
    if (!workerKey) return []; // LinkedAccount.*, Issue.*, other models: nothing about a worker.
    // Merge sends the same event more than once; its signature identifies the delivery.
    const deliveryId = signatureDeliveryId('merge', signatureOf(request));
    const occurredAt = toInstant(event.data.modified_at ?? '') ?? new Date().toISOString();
    const removed = model === 'Employee' && (change === 'removed' || event.data.remote_was_deleted === true);
    return [{ workerKey, deliveryId, eventType: event.hook.event, occurredAt, subject: removed ? { kind: 'removed', workEmail: event.data.work_email ?? null } : { kind: 'fetch', mayRevoke: event.hook.event !== 'Employee.added' } }];
  },

  async fetchWorker(workerKey, context) {
    const query = new URLSearchParams({ expand: EXPAND });
    if (needsRemoteData(context.settings)) query.set('include_remote_data', 'true');
    const { status, body } = await providerRequest('GET merge /api/hris/v1/employees/{id}', `${context.apiUrl}/api/hris/v1/employees/${apiPathSegment(workerKey)}?${query}`, {
      headers: authorization(context.credentials),
    });
    const employee = body as MergeEmployee | undefined;
    if (status === 404 || !employee || employee.remote_was_deleted) return WORKER_GONE;
    return normalizeMergeEmployee(employee, context.settings);
  },

  readRoster(context, cursor) {
    return listEmployees(context, cursor);
  },

  sign(body, secret) {
    return { 'content-type': 'application/json', 'x-merge-webhook-signature': `${hmac('sha256', Buffer.from(secret), body).toString('base64url')}=` };
  },
});
