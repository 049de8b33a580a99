import * as z from '../../vocabulary/zod.js';
import { normalizeDate } from '../../vocabulary/dates.js';
import { formatPath } from '../../vocabulary/field-path.js';
import { parseJsonBody, validateJson } from '../parse-json.js';
import { attributePathsSetting, attributesOf } from '../record-path.js';
import type { RosterPage, RosterProblem, RosterRecord } from '../roster.js';
import { ProviderApiError, providerRequest } from '../source-api.js';
import { defineSource, WebhookRejection, WORKER_GONE, type FetchContext } from '../source.js';
import { base64Key, signStandardWebhook, verifyStandardWebhook } from '../signatures.js';
import { WorkerRecordSchema, type WorkerRecord } from '../../vocabulary/worker-record.js';

/**
 * Finch (docs/reference/hris-webhooks.md §3.4): Standard Webhooks signing under `Finch-*` headers, thin events
 * naming `data.individual_id`. The record is read from `POST /employer/employment` and
 * `POST /employer/individual`; a termination shows only there (`is_active`, `end_date`). The roster
 * is `GET /employer/directory` page by page, each page's people read in one batch of each
 * (docs/reference/hris-webhooks.md, "Roster reads"); `providers.finch.attributes` maps custom
 * attributes to paths into the two records.
 */
const EventSchema = z.object({ event_type: z.string().check(z.minLength(1)), data: z.nullish(z.looseObject({ individual_id: z.string().check(z.minLength(1)) })) });

const headers = { id: 'finch-event-id', timestamp: 'finch-timestamp', signature: 'finch-signature' };
const WORKER_EVENTS = /^(employment|individual|directory)\.(created|updated|deleted)$/;
const API_VERSION = '2020-09-17';

/** `providers.finch` in the config file. */
const SettingsSchema = z.strictObject({
  enabled: z._default(z.boolean(), true),
  apiUrl: z._default(z.url(), 'https://api.tryfinch.com'),
  /** Custom attribute → a path into `employment` or `individual`, e.g. `employment.custom_fields[name=Cost Center].value` (lib/sources/record-path.ts). */
  attributes: attributePathsSetting('employment.custom_fields[name=Cost Center].value', ([first]) => first!.name === 'employment' || first!.name === 'individual'),
});
type Settings = z.output<typeof SettingsSchema>;

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

export function normalizeFinch(individualId: string, employment: FinchEmployment, individual: FinchIndividual, settings: Settings): WorkerRecord {
  const subtype = employment.employment?.subtype ?? '';
  const endDate = normalizeDate(employment.end_date);
  const active = employment.is_active !== false;
  const location = employment.location ? [employment.location.city, employment.location.state, employment.location.country].filter(Boolean).join(', ') : null;
  return validateJson({
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
    attributes: attributesOf({ employment, individual }, settings.attributes),
  }, WorkerRecordSchema);
}

/** One person's answer in a batch: `code` 200 with the record, or an error of its own. */
interface BatchAnswer<T> {
  individual_id: string;
  code: number;
  body: T | { code?: number; message?: string; finch_code?: string };
}
const BatchSchema = z.object({ responses: z.array(z.object({ individual_id: z.string(), code: z.number(), body: z.unknown() })) });
const unexpected = (operation: string, status: number, error: z.core.$ZodError) =>
  new ProviderApiError(operation, status, `unexpected answer at ${formatPath(error.issues[0]!.path) || 'the top'}: ${error.issues[0]!.message}`);

const headersOf = (credentials: string) => ({ authorization: `Bearer ${credentials}`, 'finch-api-version': API_VERSION });

/** `POST /employer/{resource}` for these people in one batch (`{requests: [{individual_id}]}`): each one's answer by id; null when the API answers 404. */
async function readBatch<T>(context: FetchContext<Settings>, resource: 'employment' | 'individual', ids: readonly string[], timeoutMs?: number): Promise<Map<string, BatchAnswer<T>> | null> {
  const operation = `POST finch /employer/${resource}`;
  const { status, body } = await providerRequest(operation, `${context.apiUrl}/employer/${resource}`, {
    method: 'POST',
    headers: { ...headersOf(context.credentials), 'content-type': 'application/json' },
    body: JSON.stringify({ requests: ids.map((individual_id) => ({ individual_id })) }),
  }, timeoutMs);
  if (status === 404) return null;
  const answer = BatchSchema.safeParse(body);
  if (!answer.success) throw unexpected(operation, status, answer.error);
  return new Map(answer.data.responses.map((entry) => [entry.individual_id, entry as BatchAnswer<T>]));
}

const recordOf = <T>(answer: BatchAnswer<T> | undefined): T | null => (answer?.code === 200 ? (answer.body as T) : null);

const DIRECTORY = 'GET finch /employer/directory';
/** People per page: one directory call and one batch of each record per page. */
const PAGE_SIZE = 200;
/** Finch may ask the HR system live (seconds to minutes): a page gets more time than one person's read. */
const ROSTER_TIMEOUT_MS = 60_000;
const DirectorySchema = z.object({
  paging: z.object({ count: z.number().check(z.int(), z.nonnegative()), offset: z.number().check(z.int(), z.nonnegative()) }),
  individuals: z.array(z.looseObject({ id: z.string().check(z.minLength(1)) })),
});

/**
 * Where a read continues: the directory offset, and the directory's size when the read began
 * (`offset=200&count=1042`). Offsets shift when people are added or removed mid-read, so a read
 * whose directory changed size reports it, and removes nobody.
 */
interface DirectoryCursor {
  offset: number;
  count: number | null;
}
const readCursor = (cursor: string | null): DirectoryCursor => {
  const query = new URLSearchParams(cursor ?? '');
  return { offset: Number(query.get('offset') ?? 0), count: query.has('count') ? Number(query.get('count')) : null };
};
const writeCursor = ({ offset, count }: DirectoryCursor) => new URLSearchParams({ offset: String(offset), count: String(count) }).toString();

/** One page of the directory (active and inactive people), then their employment and individual records in one batch each. */
async function readDirectoryPage(context: FetchContext<Settings>, cursor: string | null): Promise<RosterPage & { problems: RosterProblem[] }> {
  const at = readCursor(cursor);
  const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(at.offset) });
  const { status, body } = await providerRequest(DIRECTORY, `${context.apiUrl}/employer/directory?${query}`, { headers: headersOf(context.credentials) }, ROSTER_TIMEOUT_MS);
  // 202: Finch is still collecting the data from the HR system; nothing is read until it has it.
  if (status !== 200) throw new ProviderApiError(DIRECTORY, status, status === 404 ? 'not found: check the API URL' : 'the directory is not ready yet');
  const answer = DirectorySchema.safeParse(body);
  if (!answer.success) throw unexpected(DIRECTORY, status, answer.error);
  const { paging, individuals } = answer.data;
  const count = at.count ?? paging.count;
  const problems: RosterProblem[] = count === paging.count ? [] : [{ at: `directory offset ${at.offset}`, reason: `the directory changed during the read (${count} people, then ${paging.count}): people may have been skipped` }];
  const page = await readPeople(context, individuals.map(({ id }) => id));
  const offset = at.offset + individuals.length;
  return { records: page.records, problems: [...problems, ...page.problems], next: individuals.length > 0 && offset < paging.count ? writeCursor({ offset, count }) : null };
}

/** The people of one directory page as records; one whose records Finch could not answer, or that does not map, is a problem. */
async function readPeople(context: FetchContext<Settings>, ids: string[]): Promise<{ records: RosterRecord[]; problems: RosterProblem[] }> {
  if (ids.length === 0) return { records: [], problems: [] };
  const [employments, individuals] = await Promise.all([readBatch<FinchEmployment>(context, 'employment', ids, ROSTER_TIMEOUT_MS), readBatch<FinchIndividual>(context, 'individual', ids, ROSTER_TIMEOUT_MS)]);
  if (!employments || !individuals) throw new ProviderApiError(`POST finch /employer/${employments ? 'individual' : 'employment'}`, 404, 'not found: check the API URL');
  const records: RosterRecord[] = [];
  const problems: RosterProblem[] = [];
  for (const id of ids) {
    const employment = recordOf(employments.get(id));
    if (!employment) {
      problems.push({ at: `individual ${id}`, reason: `employment not answered (${batchError(employments.get(id))})` });
      continue;
    }
    try {
      // Finch keeps no modification time: a pulled record is dated by the read.
      records.push({ record: normalizeFinch(id, employment, recordOf(individuals.get(id)) ?? {}, context.settings), modifiedAt: null });
    } catch (error) {
      if (!(error instanceof WebhookRejection)) throw error;
      problems.push({ at: `individual ${id}`, reason: error.message });
    }
  }
  return { records, problems };
}

const batchError = (answer: BatchAnswer<unknown> | undefined) => {
  if (!answer) return 'missing from the batch';
  const { message } = answer.body as { message?: string };
  return `${answer.code}${message ? `: ${message}` : ''}`;
};

export const finchSource = defineSource({
  name: 'finch',
  settings: SettingsSchema,
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
    const [employments, individuals] = await Promise.all([readBatch<FinchEmployment>(context, 'employment', [workerKey]), readBatch<FinchIndividual>(context, 'individual', [workerKey])]);
    const employment = recordOf(employments?.get(workerKey));
    return employment ? normalizeFinch(workerKey, employment, recordOf(individuals?.get(workerKey)) ?? {}, context.settings) : WORKER_GONE;
  },

  readRoster(context, cursor) {
    return readDirectoryPage(context, cursor);
  },

  sign(body, secret, now, deliveryId) {
    return signStandardWebhook(headers, body, base64Key(secret), now, deliveryId);
  },
});
