import type { Person } from './people.js';
import type { Random } from './random.js';

/**
 * Each provider's own formats, as the fuzzer writes them: its webhook bodies (shapes from
 * test/fixtures/hris/<provider>/ and docs/reference/hris-webhooks.md) and, for the thin ones, the
 * record its API answers (the shape lib/sources/<name>/emulator.ts serves and the source's
 * fetchWorker reads). Everything here is valid; test/support/fuzz/deliveries.ts breaks it.
 */
export interface ProviderFormat {
  name: 'generic' | 'bamboohr' | 'hibob' | 'merge' | 'finch';
  /** A new worker id, written as the provider writes them. */
  newKey(random: Random): string;
  /** A valid event about `person`; `removed` asks for the provider's deletion event, where it has one. */
  event(random: Random, person: Person, now: number, removed: boolean): unknown;
  /** Several workers in one delivery (BambooHR's field-based webhooks); absent where a delivery names one worker. */
  eventForMany?(random: Random, people: Array<{ person: Person; removed: boolean }>, now: number): unknown;
  /** Thin providers: what the provider's API holds for `person`. */
  apiRecord?(person: Person): Record<string, unknown>;
  /** A verified event about no worker (payroll, account, company): acknowledged with 200, nothing enqueued. Absent where every event is about a worker. */
  otherEvent?(random: Random, now: number): unknown;
  /** The headers the signature covers or consists of, and the one holding it. */
  signatureHeader: string;
  signedHeaders: readonly string[];
  /** Where the delivery carries its time, and how far from now it may be (absent: no timestamp is signed). */
  timestamp?: { header: string; toleranceSeconds: number };
  /** The same signature bytes, spelled differently (case, padding, surrounding spaces): still the same delivery. */
  respell(signature: string, random: Random): string;
  /** A delivery id for `source.sign` (ignored by providers whose signature is the id). */
  newDeliveryId(random: Random): string;
}

const secondsAgo = (now: number, random: Random, max = 600) => now - random.int(0, max) * 1000;
/** BambooHR writes `2025-06-02T14:03:11+0000`. */
const bambooTime = (at: number) => new Date(at).toISOString().replace(/\.\d{3}Z$/, '+0000');
/** HiBob writes `2025-06-02T14:03:11.482913`: microseconds, no offset (UTC). */
const bobTime = (at: number) => new Date(at).toISOString().replace('Z', '123');
const padToggle = (signature: string) => (signature.endsWith('=') ? signature.replace(/=+$/, '') : `${signature}=`);

const generic: ProviderFormat = {
  name: 'generic',
  newKey: (random) => `E-${random.digits(6)}`,
  event(random, person, now) {
    const type = person.status === 'terminated' ? 'worker.terminated' : random.pick(['worker.hired', 'worker.updated']);
    return { type, timestamp: new Date(secondsAgo(now, random)).toISOString(), data: { source: { system: 'fuzz', tenant: 'acme' }, changedFields: [], worker: genericRecord(person) } };
  },
  signatureHeader: 'webhook-signature',
  signedHeaders: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
  timestamp: { header: 'webhook-timestamp', toleranceSeconds: 300 },
  respell: (signature, random) => (random.chance(0.5) ? `v1,${signature.slice(3).replace(/=+$/, '')}` : `v2,bm90LWEtdjEtc2lnbmF0dXJl ${signature}`),
  newDeliveryId: (random) => `msg_${random.hex(26)}`,
};

function genericRecord(person: Person) {
  return {
    externalId: person.key,
    workEmail: person.email,
    personalEmail: null,
    firstName: person.firstName,
    lastName: person.lastName,
    displayName: `${person.firstName} ${person.lastName}`,
    jobTitle: person.title,
    department: person.department,
    team: person.team,
    managerWorkEmail: null,
    location: person.location,
    employmentType: person.employmentType,
    status: person.status,
    startDate: person.startDate,
    endDate: person.endDate,
    terminationDate: person.terminationDate,
  };
}

const bambooEmploymentStatus: Record<Person['employmentType'], string> = { employee: 'Full-Time', contractor: 'Contractor', intern: 'Intern', temporary: 'Temporary' };

/** BambooHR's fields under their English names (field-based webhooks) or API aliases (the API's answer). */
function bambooFields(person: Person, names: 'english' | 'alias'): Record<string, string> {
  const value = {
    workEmail: person.email,
    firstName: person.firstName,
    lastName: person.lastName,
    jobTitle: person.title,
    department: person.department,
    division: person.team ?? '',
    location: person.location,
    employmentHistoryStatus: person.status === 'terminated' ? 'Terminated' : bambooEmploymentStatus[person.employmentType],
    status: person.status === 'terminated' ? 'Inactive' : 'Active',
    hireDate: person.startDate,
    customContractEndDate: person.endDate ?? '',
    terminationDate: person.terminationDate ?? '',
  };
  if (names === 'alias') return value;
  const english: Record<keyof typeof value, string> = {
    workEmail: 'Work Email', firstName: 'First Name', lastName: 'Last Name', jobTitle: 'Job Title', department: 'Department', division: 'Division', location: 'Location',
    employmentHistoryStatus: 'Employment Status', status: 'Status', hireDate: 'Hire Date', customContractEndDate: 'Contract End Date', terminationDate: 'Termination Date',
  };
  return Object.fromEntries(Object.entries(value).map(([alias, text]) => [english[alias as keyof typeof value], text]));
}

const bamboohr: ProviderFormat = {
  name: 'bamboohr',
  newKey: (random) => random.digits(random.int(3, 6)),
  event(random, person, now, removed) {
    if (random.chance(0.5)) return bamboohr.eventForMany!(random, [{ person, removed }], now);
    const type = removed ? 'employee.deleted' : random.pick(['employee.created', 'employee.updated']);
    // BambooHR's ids are numbers in its API; its webhooks write them as text, sometimes as numbers.
    const employeeId = random.chance(0.2) && /^\d{1,9}$/.test(person.key) ? Number(person.key) : person.key;
    return { type, timestamp: bambooTime(secondsAgo(now, random)), data: { companyId: '48213', employeeId, ...(type === 'employee.updated' ? { changedFields: ['jobTitle', 'department'] } : {}) } };
  },
  eventForMany(random, people, now) {
    return {
      employees: people.map(({ person, removed }) => {
        const action = removed ? 'Deleted' : random.pick(['Created', 'Updated', 'Updated']);
        // An empty `fields` is an event-based-like change the worker fetches; otherwise the fields are the record.
        const fields = removed || random.chance(0.3) ? {} : bambooFields(person, 'english');
        return { action, changedFields: Object.keys(fields), fields, id: person.key, timestamp: bambooTime(secondsAgo(now, random)) };
      }),
    };
  },
  apiRecord: (person) => bambooFields(person, 'alias'),
  signatureHeader: 'x-bamboohr-signature',
  signedHeaders: ['x-bamboohr-signature', 'x-bamboohr-timestamp'],
  timestamp: { header: 'x-bamboohr-timestamp', toleranceSeconds: 3 * 3600 },
  respell: (signature, random) => (random.chance(0.5) ? signature.toUpperCase() : ` ${signature}\u00a0`),
  newDeliveryId: () => '',
};

const hibob: ProviderFormat = {
  name: 'hibob',
  newKey: (random) => `33328838942350${random.digits(5)}`,
  event(random, person, now, removed) {
    const type = removed
      ? 'employee.deleted'
      : person.status === 'terminated'
        ? random.pick(['employee.left', 'employee.inactivated', 'employee.updated'])
        : random.pick(['employee.created', 'employee.joined', 'employee.updated', 'employee.activated', 'table.entry.updated']);
    const data = { employeeId: person.key, ...(type === 'employee.deleted' ? { email: person.email } : {}), ...(type === 'employee.updated' ? { fieldUpdates: [{ fieldId: 'work.title' }] } : {}) };
    return { companyId: 637323, type, triggeredBy: random.pick(['system', '3332883804594373380']), triggeredAt: bobTime(secondsAgo(now, random)), version: 'v2', data };
  },
  apiRecord: (person) => ({
    id: person.key,
    firstName: person.firstName,
    surname: person.lastName,
    email: person.email,
    displayName: `${person.firstName} ${person.lastName}`,
    work: { title: person.title, department: person.department, site: person.location, startDate: person.startDate },
    internal: { status: person.status === 'terminated' ? 'Inactive' : 'Active', terminationDate: person.terminationDate },
    payroll: { employment: { type: { employee: 'Permanent', contractor: 'Contractor', intern: 'Intern', temporary: 'Temporary' }[person.employmentType] } },
  }),
  otherEvent: (random, now) => ({ companyId: 637323, type: random.pick(['timeoff.request.created', 'company.updated']), triggeredBy: 'system', triggeredAt: bobTime(now), version: 'v2', data: { employeeId: random.digits(8) } }),
  signatureHeader: 'bob-signature',
  signedHeaders: ['bob-signature'],
  respell: (signature, random) => (random.chance(0.5) ? padToggle(signature) : `\u00a0${signature} `),
  newDeliveryId: () => '',
};

const mergeEmploymentTypes: Record<Person['employmentType'], string> = { employee: 'FULL_TIME', contractor: 'CONTRACTOR', intern: 'INTERN', temporary: 'FREELANCE' };

function mergeEmployee(person: Person) {
  return {
    id: person.key,
    remote_id: `WD-${person.key.slice(0, 6)}`,
    first_name: person.firstName,
    last_name: person.lastName,
    display_full_name: `${person.firstName} ${person.lastName}`,
    work_email: person.email,
    personal_email: null,
    employments: [{ job_title: person.title, employment_type: mergeEmploymentTypes[person.employmentType], effective_date: `${person.startDate}T00:00:00Z` }],
    groups: [{ name: person.department, type: 'DEPARTMENT' }, ...(person.team ? [{ name: person.team, type: 'TEAM' }] : [])],
    work_location: { name: person.location },
    start_date: `${person.startDate}T00:00:00Z`,
    employment_status: person.status === 'terminated' ? 'INACTIVE' : person.status === 'pending' ? 'PENDING' : 'ACTIVE',
    termination_date: person.terminationDate ? `${person.terminationDate}T00:00:00Z` : null,
    remote_was_deleted: false,
  };
}

const merge: ProviderFormat = {
  name: 'merge',
  newKey: (random) => random.uuid(),
  event(random, person, now, removed) {
    const hook = { id: 'cb1fe0a7-c2a1-4bd6-8cf5-57e70c7f1d53', target: 'https://hris-hooks.example.com/merge' };
    const modified_at = new Date(secondsAgo(now, random)).toISOString();
    const linked_account = { id: '0e7cceaa-9b5c-4d44-8606-6e99f2b83026', integration: 'Workday', category: 'hris', status: 'COMPLETE' };
    if (removed) return { hook: { ...hook, event: 'Employee.removed' }, linked_account, data: { ...mergeEmployee(person), modified_at, remote_was_deleted: true } };
    if (random.chance(0.4)) {
      return { hook: { ...hook, event: random.pick(['Employment.added', 'Employment.changed']) }, linked_account, data: { id: random.uuid(), employee: person.key, job_title: person.title, modified_at } };
    }
    // Webhook bodies carry ids for related objects; the worker reads the expanded record from the API.
    const data = { ...mergeEmployee(person), modified_at, employments: [random.uuid()], groups: [random.uuid()], work_location: random.uuid() };
    return { hook: { ...hook, event: random.pick(['Employee.added', 'Employee.changed']) }, linked_account, data };
  },
  apiRecord: mergeEmployee,
  otherEvent: (random) => ({ hook: { id: 'h', event: random.pick(['LinkedAccount.synced', 'Issue.created', 'Location.changed']), target: 't' }, linked_account: {}, data: { id: random.uuid() } }),
  signatureHeader: 'x-merge-webhook-signature',
  signedHeaders: ['x-merge-webhook-signature'],
  respell: padToggle,
  newDeliveryId: () => '',
};

const finch: ProviderFormat = {
  name: 'finch',
  newKey: (random) => random.uuid(),
  event(random, person, _now, removed) {
    const event_type = removed ? random.pick(['employment.deleted', 'individual.deleted', 'directory.deleted']) : random.pick(['employment.created', 'employment.updated', 'individual.updated', 'directory.created', 'directory.updated']);
    return { company_id: '514aa2b7-898f-4ce7-bc05-c2fe993713e8', account_id: '8e9c2a6d-0f41-4d2c-9a57-3b1d6f0e4c21', connection_id: 'f6a1c2b3-d4e5-4f60-8a7b-9c0d1e2f3a4b', entity_id: null, event_type, data: { individual_id: person.key } };
  },
  apiRecord: (person) => ({
    employment: {
      first_name: person.firstName,
      last_name: person.lastName,
      title: person.title,
      department: { name: person.department },
      employment: person.employmentType === 'contractor' ? { type: 'contractor', subtype: null } : { type: 'employee', subtype: { employee: 'full_time', intern: 'intern', temporary: 'temp', contractor: null }[person.employmentType] },
      is_active: person.status !== 'terminated',
      start_date: person.startDate,
      end_date: person.status === 'terminated' ? person.terminationDate : person.endDate,
      location: { city: person.location, state: null, country: 'US' },
    },
    individual: { emails: [{ data: person.email, type: 'work' }], preferred_name: person.firstName },
  }),
  otherEvent: (random) => ({ company_id: 'c', connection_id: 'x', entity_id: null, event_type: random.pick(['pay_statement.created', 'company.updated', 'account.updated']), data: random.chance(0.5) ? null : { individual_id: random.uuid(), payment_id: random.uuid() } }),
  signatureHeader: 'finch-signature',
  signedHeaders: ['finch-event-id', 'finch-timestamp', 'finch-signature'],
  timestamp: { header: 'finch-timestamp', toleranceSeconds: 300 },
  respell: (signature) => `v1,${signature.slice(3).replace(/=+$/, '')}`,
  newDeliveryId: (random) => random.uuid(),
};

export const providerFormats: readonly ProviderFormat[] = [generic, bamboohr, hibob, merge, finch];
