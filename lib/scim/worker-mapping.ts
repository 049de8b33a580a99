import { employmentTypes, WorkerRecordSchema, type WorkerRecord } from '../vocabulary/worker-record.js';
import { badRequest } from './errors.js';
import { member } from './filter.js';
import type { Resource } from './resources.js';
import { ENTERPRISE_USER_SCHEMA } from './schemas.js';

/**
 * A SCIM User as the worker record every source normalizes to (lib/vocabulary/worker-record.ts), so
 * that rules, decide and the guard never know an identity provider spoke.
 */

/** The record's fields as the SCIM attributes they come from: a record the schema refuses is a 400 naming the attribute the provider sent. */
const attributeOf: Record<string, string> = {
  externalId: 'externalId',
  workEmail: 'emails',
  firstName: 'name.givenName',
  lastName: 'name.familyName',
  displayName: 'displayName',
  jobTitle: 'title',
  department: `${ENTERPRISE_USER_SCHEMA}:department`,
  location: 'addresses[primary].locality',
  employmentType: 'userType',
  attributes: ENTERPRISE_USER_SCHEMA,
  groups: 'groups',
};

type Email = { value?: string; type?: string; primary?: boolean };

/**
 * The address invited to Bitwarden, chosen as Bitwarden's own SCIM endpoint chooses it
 * (docs/reference/bitwarden-public-api.md §12, POST /users): the primary e-mail, else the work one,
 * else the first; else `userName` when it is an address (Entra ID's userPrincipalName).
 */
export function workEmailOf(user: Resource): string | null {
  const emails = ((user.emails as Email[] | undefined) ?? []).filter((email) => typeof email.value === 'string' && email.value.trim() !== '');
  const chosen = emails.find((email) => email.primary) ?? emails.find((email) => email.type?.toLowerCase() === 'work') ?? emails[0];
  if (chosen) return chosen.value!.trim();
  const userName = typeof user.userName === 'string' ? user.userName.trim() : '';
  return userName.includes('@') ? userName : null;
}

/** `userType` as an employment type where it names one (Employee, Contractor, Intern, …); else `other`; absent: employee. */
function employmentTypeOf(userType: unknown): WorkerRecord['employmentType'] | null {
  if (typeof userType !== 'string' || userType.trim() === '') return null;
  const type = userType.trim().toLowerCase();
  return (employmentTypes as readonly string[]).includes(type) ? (type as WorkerRecord['employmentType']) : 'other';
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : null);

/** The enterprise extension's texts other than department, kept as custom attributes rules match under `match.attributes`. */
function enterpriseAttributes(user: Resource): Record<string, string> {
  const enterprise = (user[ENTERPRISE_USER_SCHEMA] ?? {}) as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const name of ['employeeNumber', 'costCenter', 'organization', 'division']) {
    const value = text(enterprise[name]);
    if (value) attributes[name] = value.slice(0, 256);
  }
  return attributes;
}

/** The primary (else the first, else the work) address's locality: where the person works. */
function locationOf(user: Resource): string | null {
  const addresses = (user.addresses as Array<Record<string, unknown>> | undefined) ?? [];
  const address = addresses.find((candidate) => candidate.primary === true) ?? addresses.find((candidate) => member(candidate, 'type') === 'work') ?? addresses[0];
  return text(address?.locality);
}

export function workerRecordOf(user: Resource, workerKey: string, groupNames: readonly string[]): WorkerRecord {
  const workEmail = workEmailOf(user);
  if (!workEmail) throw badRequest('invalidValue', 'emails: a user needs an e-mail address (a primary or work e-mail, or a userName that is one) to be invited');
  const name = (user.name ?? {}) as Record<string, unknown>;
  const raw = {
    externalId: workerKey,
    workEmail,
    firstName: text(name.givenName),
    lastName: text(name.familyName),
    displayName: text(user.displayName) ?? text(name.formatted),
    jobTitle: text(user.title),
    department: text(((user[ENTERPRISE_USER_SCHEMA] ?? {}) as Record<string, unknown>).department),
    location: locationOf(user),
    employmentType: employmentTypeOf(user.userType),
    status: user.active === false ? 'terminated' : 'active',
    attributes: enterpriseAttributes(user),
    groups: [...groupNames],
  };
  const parsed = WorkerRecordSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? '');
    throw badRequest('invalidValue', `${attributeOf[field] ?? field}: ${issue.message}`);
  }
  return parsed.data;
}
