import { z } from 'zod';
import { normalizeDate } from '../../vocabulary/dates.js';
import { parseJsonBody } from '../parse-json.js';
import { providerRequest } from '../source-api.js';
import { defineSource, WORKER_GONE } from '../source.js';
import { base64Key, signStandardWebhook, verifyStandardWebhook } from '../signatures.js';
import { WorkerRecordSchema, type WorkerRecord } from '../../vocabulary/worker-record.js';

/**
 * Finch (docs/reference/hris-webhooks.md §3.4): Standard Webhooks signing under `Finch-*` headers, thin events
 * naming `data.individual_id`. The record is read from `POST /employer/employment` and
 * `POST /employer/individual`; a termination shows only there (`is_active`, `end_date`).
 */
const EventSchema = z.object({ event_type: z.string().min(1), data: z.object({ individual_id: z.string().min(1) }).loose().nullish() });

const headers = { id: 'finch-event-id', timestamp: 'finch-timestamp', signature: 'finch-signature' };
const WORKER_EVENTS = /^(employment|individual|directory)\.(created|updated|deleted)$/;
const API_VERSION = '2020-09-17';

interface FinchEmployment {
  first_name?: string | null;
  last_name?: string | null;
  title?: string | null;
  department?: { name?: string | null } | null;
  employment?: { type?: string | null; subtype?: string | null } | null;
  is_active?: boolean | null;
  start_date?: string | null;
  end_date?: string | null;
  location?: { city?: string | null; state?: string | null; country?: string | null } | null;
}
interface FinchIndividual {
  emails?: Array<{ data?: string | null; type?: string | null }> | null;
  preferred_name?: string | null;
}

export function normalizeFinch(individualId: string, employment: FinchEmployment, individual: FinchIndividual): WorkerRecord {
  const subtype = employment.employment?.subtype ?? '';
  const endDate = normalizeDate(employment.end_date);
  const active = employment.is_active !== false;
  const location = employment.location ? [employment.location.city, employment.location.state, employment.location.country].filter(Boolean).join(', ') : null;
  return WorkerRecordSchema.parse({
    externalId: individualId,
    workEmail: individual.emails?.find((email) => email.type === 'work')?.data ?? null,
    firstName: employment.first_name ?? null,
    lastName: employment.last_name ?? null,
    displayName: individual.preferred_name ?? null,
    jobTitle: employment.title ?? null,
    department: employment.department?.name ?? null,
    location: location || null,
    employmentType: employment.employment?.type === 'contractor' ? 'contractor' : subtype === 'intern' ? 'intern' : subtype === 'temp' || subtype === 'seasonal' ? 'temporary' : 'employee',
    status: active ? 'active' : 'terminated',
    startDate: normalizeDate(employment.start_date),
    // Finch has one end date: the termination date once inactive, the planned end while active.
    endDate: active ? endDate : null,
    terminationDate: active ? null : endDate,
  });
}

async function read<T>(context: { apiUrl: string; credentials: string }, resource: 'employment' | 'individual', individualId: string): Promise<T | null> {
  const { body } = await providerRequest(`POST finch /employer/${resource}`, `${context.apiUrl}/employer/${resource}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${context.credentials}`, 'finch-api-version': API_VERSION, 'content-type': 'application/json' },
    body: JSON.stringify({ requests: [{ individual_id: individualId }] }),
  });
  const response = (body as { responses?: Array<{ individual_id: string; code: number; body: T }> } | undefined)?.responses?.find((entry) => entry.individual_id === individualId);
  return response && response.code === 200 ? response.body : null;
}

export const finchSource = defineSource({
  name: 'finch',
  settings: z.strictObject({ enabled: z.boolean().default(true), apiUrl: z.url().default('https://api.tryfinch.com') }),
  secretEnvVar: 'FINCH_WEBHOOK_SECRET',
  localSecret: Buffer.from('local-development-only-finch-secret').toString('base64'),

  verify(request, secrets, now) {
    verifyStandardWebhook(request, headers, secrets.map(base64Key), now);
  },

  parse(request) {
    const event = parseJsonBody(request.body, EventSchema);
    if (!WORKER_EVENTS.test(event.event_type) || !event.data) return []; // pay statements, company, account, jobs
    const occurredAt = new Date(Number(request.headers['finch-timestamp']) * 1000).toISOString();
    const base = { workerKey: event.data.individual_id, deliveryId: request.headers['finch-event-id']!, eventType: event.event_type, occurredAt };
    return [{ ...base, subject: event.event_type.endsWith('.deleted') ? { kind: 'removed', workEmail: null } : { kind: 'fetch', mayRevoke: !event.event_type.endsWith('.created') } }];
  },

  async fetchWorker(workerKey, context) {
    const [employment, individual] = await Promise.all([read<FinchEmployment>(context, 'employment', workerKey), read<FinchIndividual>(context, 'individual', workerKey)]);
    return employment ? normalizeFinch(workerKey, employment, individual ?? {}) : WORKER_GONE;
  },

  sign(body, secret, now, deliveryId) {
    return signStandardWebhook(headers, body, base64Key(secret), now, deliveryId);
  },
});
