import { z } from 'zod';
import { normalizeDate, toInstant } from '../../vocabulary/dates.js';
import { parseJsonBody } from '../parse-json.js';
import { basicAuth, credentialPair, providerRequest } from '../source-api.js';
import { defineSource, WORKER_GONE, type WebhookRequest } from '../source.js';
import { hmac, signatureBytes, signatureDeliveryId, utf8Keys, verifyHmac } from '../signatures.js';
import { WorkerRecordSchema, type WorkerRecord } from '../../vocabulary/worker-record.js';

/**
 * HiBob (Bob) Webhooks v2 (docs/reference/hris-webhooks.md §3.2): thin events (ids only), signed with
 * base64 HMAC-SHA512 of the body in `Bob-Signature`. Every employee event is fetched through
 * `POST /v1/people/search` with a service user; `employee.deleted` means the record is gone.
 * The setup ping is answered 200 and nothing is enqueued.
 */
const EventSchema = z.object({
  type: z.string().min(1),
  triggeredAt: z.string().min(1),
  data: z.object({ employeeId: z.union([z.string().min(1), z.number()]).transform(String), email: z.string().nullish() }).loose(),
});

/** Fields read from Bob (its people API paths). Reconstructed from the docs, like the emulator that serves them. */
const FIELDS = ['root.id', 'root.firstName', 'root.surname', 'root.email', 'root.displayName', 'work.title', 'work.department', 'work.site', 'work.startDate', 'internal.status', 'internal.terminationDate', 'payroll.employment.type'];

interface BobPerson {
  id: string;
  firstName?: string;
  surname?: string;
  email?: string;
  displayName?: string;
  work?: { title?: string; department?: string; site?: string; startDate?: string };
  internal?: { status?: string; terminationDate?: string | null };
  payroll?: { employment?: { type?: string } };
}

export function normalizeBobPerson(person: BobPerson): WorkerRecord {
  const employment = person.payroll?.employment?.type?.toLowerCase() ?? '';
  return WorkerRecordSchema.parse({
    externalId: String(person.id),
    workEmail: person.email ?? null,
    firstName: person.firstName ?? null,
    lastName: person.surname ?? null,
    displayName: person.displayName ?? null,
    jobTitle: person.work?.title ?? null,
    department: person.work?.department ?? null,
    location: person.work?.site ?? null,
    employmentType: employment.includes('contract') ? 'contractor' : employment.includes('intern') ? 'intern' : employment.includes('temp') ? 'temporary' : 'employee',
    status: person.internal?.status?.toLowerCase() === 'inactive' ? 'terminated' : 'active',
    startDate: normalizeDate(person.work?.startDate),
    terminationDate: normalizeDate(person.internal?.terminationDate),
  });
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
  settings: z.strictObject({ enabled: z.boolean().default(true), apiUrl: z.url().default('https://api.hibob.com') }),
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
    const [user, token] = credentialPair(context.credentials, 'HiBob service user');
    const { status, body } = await providerRequest('POST hibob /v1/people/search', `${context.apiUrl}/v1/people/search`, {
      method: 'POST',
      headers: { authorization: basicAuth(user, token), 'content-type': 'application/json' },
      body: JSON.stringify({ showInactive: true, fields: FIELDS, filters: [{ fieldPath: 'root.id', operator: 'equals', values: [workerKey] }] }),
    });
    const person = status === 404 ? undefined : (body as { employees?: BobPerson[] }).employees?.[0];
    return person ? normalizeBobPerson(person) : WORKER_GONE;
  },

  sign(body, secret) {
    return { 'content-type': 'application/json', 'bob-signature': hmac('sha512', Buffer.from(secret), body).toString('base64') };
  },
});
