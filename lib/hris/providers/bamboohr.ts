import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { BambooField, LifecycleConfig } from '../../config/schema.js';
import { normalizeDate, toInstant } from '../dates.js';
import { readJson, validateJson } from '../parse-json.js';
import { basicAuth, providerRequest } from '../provider-api.js';
import { WebhookRejection, WORKER_GONE, type HrisProvider, type ProviderEvent, type WebhookRequest } from '../provider.js';
import { requireFreshTimestamp, requireHeader, utf8Keys, verifyHmac } from '../signatures.js';
import { WorkerRecordSchema, type WorkerRecord } from '../worker-record.js';

/**
 * BambooHR (hris/webhooks.md §3.1): event-based webhooks (`employee.*`, ids only: fetched) and
 * field-based ones (`employees[]` with post fields, several per POST, values plain or `{value}`).
 * There is no termination event: a termination is an update of Status, Employment Status or
 * Termination Date. Which fields mean what is the config's `providers.bamboohr.fields`.
 */
type Settings = NonNullable<LifecycleConfig['providers']['bamboohr']>;

const id = z.union([z.string().min(1), z.number().int()]).transform(String);
const EventBasedSchema = z.object({
  type: z.enum(['employee.created', 'employee.updated', 'employee.deleted']),
  timestamp: z.string(),
  data: z.object({ employeeId: id }),
});
const FieldBasedSchema = z.object({
  employees: z
    .array(z.object({ action: z.enum(['Created', 'Updated', 'Deleted']), id, timestamp: z.string(), fields: z.record(z.string(), z.unknown()).default({}) }))
    .min(1, 'must list at least one employee'),
});

const settingsOf = (all: LifecycleConfig['providers']): Settings => {
  if (!all.bamboohr) throw new Error('providers.bamboohr is not configured');
  return all.bamboohr;
};

function occurredAt(timestamp: string, path: string): string {
  const instant = toInstant(timestamp);
  if (!instant) throw new WebhookRejection(400, `${path}: must be a date-time`);
  return instant;
}

/** A field by any of its configured names; field-based webhooks may wrap values as `{value}`. */
function reader(fields: Record<string, unknown>, settings: Settings) {
  return (field: BambooField): string | null => {
    for (const name of settings.fields[field]) {
      let value = fields[name];
      if (value && typeof value === 'object' && 'value' in value) value = (value as { value: unknown }).value;
      if (typeof value === 'number') value = String(value);
      if (typeof value === 'string' && value.trim() !== '') return value.trim();
    }
    return null;
  };
}

/** BambooHR fields (post fields or API aliases) → the worker record. */
export function normalizeBambooFields(workerKey: string, fields: Record<string, unknown>, settings: Settings): WorkerRecord {
  const read = reader(fields, settings);
  const employmentStatus = read('employmentStatus');
  const status = read('status');

  const employmentType = employmentStatus
    ? Object.entries(settings.employmentTypes).find(([value]) => value.toLowerCase() === employmentStatus.toLowerCase())?.[1] ?? 'employee'
    : 'employee';
  const terminated = status?.toLowerCase() === 'inactive' || employmentStatus?.toLowerCase() === 'terminated';
  return WorkerRecordSchema.parse({
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
  });
}

export const bambooHrProvider: HrisProvider = {
  name: 'bamboohr',
  secretEnvVar: 'BAMBOOHR_WEBHOOK_SECRET',

  verify(request, secrets, now, settings) {
    const signature = requireHeader(request, 'x-bamboohr-signature');
    const timestamp = requireHeader(request, 'x-bamboohr-timestamp');
    // The header's format is undocumented: it is signed as an opaque string, and its age checked only when it reads as Unix seconds.
    if (/^\d+$/.test(timestamp)) requireFreshTimestamp('x-bamboohr-timestamp', timestamp, now, settingsOf(settings).timestampToleranceSeconds);
    verifyHmac({
      algorithm: 'sha256',
      keys: utf8Keys(secrets),
      message: Buffer.concat([request.body, Buffer.from(timestamp)]),
      received: [Buffer.from(signature, 'hex')],
      header: 'x-bamboohr-signature',
    });
  },

  parse(request, all) {
    const settings = settingsOf(all);
    const deliveryId = deliveryIdOf(request);
    const json = readJson(request.body);
    if (json && typeof json === 'object' && 'employees' in json) {
      const { employees } = validateJson(json, FieldBasedSchema);
      return employees.map((employee, index): ProviderEvent => {
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
    const settings = settingsOf(context.settings);
    // The API takes aliases (names without spaces); the English names are for field-based webhooks.
    const aliases = [...new Set(Object.values(settings.fields).flat().filter((name) => !name.includes(' ')))];
    const { status, body } = await providerRequest(
      'GET bamboohr /v1/employees/{id}',
      `${context.apiUrl}/v1/employees/${encodeURIComponent(workerKey)}/?fields=${aliases.join(',')}`,
      { headers: { authorization: basicAuth(context.credentials, 'x') } },
    );
    if (status === 404) return WORKER_GONE;
    return normalizeBambooFields(workerKey, body as Record<string, unknown>, settings);
  },
};

/** BambooHR sends no delivery id: the signature and timestamp identify a delivery. */
function deliveryIdOf(request: WebhookRequest): string {
  return `bamboohr-${createHash('sha256').update(`${request.headers['x-bamboohr-signature']}|${request.headers['x-bamboohr-timestamp']}`).digest('hex').slice(0, 40)}`;
}
