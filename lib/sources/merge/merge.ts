import { z } from 'zod';
import { normalizeDate, toInstant } from '../../vocabulary/dates.js';
import { parseJsonBody } from '../parse-json.js';
import { apiPathSegment, credentialPair, providerRequest } from '../source-api.js';
import { defineSource, WORKER_GONE, type WebhookRequest } from '../source.js';
import { hmac, signatureBytes, signatureDeliveryId, utf8Keys, verifyHmac } from '../signatures.js';
import { WorkerRecordSchema, type WorkerRecord } from '../../vocabulary/worker-record.js';

/**
 * Merge HRIS (docs/reference/hris-webhooks.md §3.3): `Employee.*` and `Employment.*` hooks carrying the common
 * model, signed with base64url HMAC-SHA256 of the body. Job title lives on the Employment and
 * the department is a Group, and an Employment hook names its employee only by Merge id, so the
 * worker key is Merge's employee id and every change is read back with
 * `GET /api/hris/v1/employees/{id}?expand=employments,groups,work_location`.
 */
const EventSchema = z.object({
  hook: z.object({ event: z.string().min(1) }),
  data: z.object({ id: z.string().optional(), employee: z.string().nullish(), modified_at: z.string().nullish(), work_email: z.string().nullish(), remote_was_deleted: z.boolean().nullish() }).loose(),
});

interface MergeEmployee {
  id: string;
  first_name?: string | null;
  last_name?: string | null;
  display_full_name?: string | null;
  work_email?: string | null;
  personal_email?: string | null;
  employments?: Array<{ job_title?: string | null; employment_type?: string | null; effective_date?: string | null } | string>;
  groups?: Array<{ name?: string | null; type?: string | null } | string>;
  work_location?: { name?: string | null } | string | null;
  start_date?: string | null;
  hire_date?: string | null;
  employment_status?: 'ACTIVE' | 'PENDING' | 'INACTIVE' | null;
  termination_date?: string | null;
  remote_was_deleted?: boolean;
}

const employmentTypes: Record<string, WorkerRecord['employmentType']> = { FULL_TIME: 'employee', PART_TIME: 'employee', INTERN: 'intern', CONTRACTOR: 'contractor', FREELANCE: 'contractor' };

export function normalizeMergeEmployee(employee: MergeEmployee): WorkerRecord {
  // With job history, a title change adds an Employment: the newest effective one is current.
  const employments = (employee.employments ?? []).filter((entry) => typeof entry === 'object');
  const current = employments.sort((a, b) => (b.effective_date ?? '').localeCompare(a.effective_date ?? ''))[0];
  const groups = (employee.groups ?? []).filter((entry) => typeof entry === 'object');
  const named = (type: string) => groups.find((group) => group.type === type)?.name ?? null;
  return WorkerRecordSchema.parse({
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
  });
}

/** base64url; Merge's samples keep the `=` padding (docs/reference/hris-webhooks.md §3.3), so it is optional. */
const signatureOf = (request: WebhookRequest) => signatureBytes(request, 'x-merge-webhook-signature', 'base64url');

export const mergeSource = defineSource({
  name: 'merge',
  settings: z.strictObject({ enabled: z.boolean().default(true), apiUrl: z.url().default('https://api.merge.dev') }),
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
    const [apiKey, accountToken] = credentialPair(context.credentials, 'Merge (api key:account token)');
    const { status, body } = await providerRequest(
      'GET merge /api/hris/v1/employees/{id}',
      `${context.apiUrl}/api/hris/v1/employees/${apiPathSegment(workerKey)}?expand=employments,groups,work_location`,
      { headers: { authorization: `Bearer ${apiKey}`, 'x-account-token': accountToken } },
    );
    const employee = body as MergeEmployee | undefined;
    if (status === 404 || !employee || employee.remote_was_deleted) return WORKER_GONE;
    return normalizeMergeEmployee(employee);
  },

  sign(body, secret) {
    return { 'content-type': 'application/json', 'x-merge-webhook-signature': `${hmac('sha256', Buffer.from(secret), body).toString('base64url')}=` };
  },
});
