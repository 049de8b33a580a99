import { camelKeys, modelStateError, serverError } from './http-error.js';

/**
 * The body of `POST /public/organization/import`, read as the server reads it
 * (docs/reference/bitwarden-public-api.md §4, §7.8): System.Text.Json binds it (the first value it
 * cannot convert is the only error reported), the data annotations validate it, and the
 * controller then crashes on a list that is missing.
 */

export interface ImportedMemberEntry {
  /** As sent; null only on a `deleted` entry. */
  email: string | null;
  externalId: string;
  deleted: boolean;
}

export interface ImportedGroupEntry {
  name: string;
  externalId: string;
  memberExternalIds: string[];
}

export interface OrganizationImport {
  groups: ImportedGroupEntry[];
  members: ImportedMemberEntry[];
  overwriteExisting: boolean;
  largeImport: boolean;
}

type Body = Record<string, unknown>;
type Errors = Record<string, string[]>;

/** An entry as bound, before the annotations have checked the fields they require. */
interface BoundMember extends Omit<ImportedMemberEntry, 'externalId'> {
  externalId: string | null;
}
interface BoundGroup {
  name: string | null;
  externalId: string | null;
  memberExternalIds: string[] | null;
}

export function parseOrganizationImport(raw: Body): OrganizationImport {
  const body = camelKeys(raw);
  const members = readList(body.members, '$.members', 'OrganizationImportMemberRequestModel[]')?.map((entry, index) => bindMember(entry, `$.members[${index}]`)) ?? null;
  const groups = readList(body.groups, '$.groups', 'OrganizationImportGroupRequestModel[]')?.map((entry, index) => bindGroup(entry, `$.groups[${index}]`)) ?? null;
  const overwriteExisting = readBoolean(body.overwriteExisting, '$.overwriteExisting', { nullable: true });
  const largeImport = readBoolean(body.largeImport, '$.largeImport') ?? false;
  // Bound for its type only: the emulated server runs without the staged-status feature flag,
  // so `false` still invites (docs/reference/bitwarden-public-api.md §7.8).
  readBoolean(body.inviteUsersAfterProvisioning, '$.inviteUsersAfterProvisioning');

  const errors: Errors = {};
  if (overwriteExisting === null || overwriteExisting === undefined) errors.OverwriteExisting = ['The OverwriteExisting field is required.'];
  members?.forEach((member, index) => validateMember(member, `Members[${index}]`, errors));
  groups?.forEach((group, index) => validateGroup(group, `Groups[${index}]`, errors));
  if (Object.keys(errors).length > 0) throw modelStateError(errors);

  // No annotation requires the lists, but the controller counts and maps them: a null list, a
  // null entry or a group without memberExternalIds is a NullReferenceException.
  if (!members || !groups || members.includes(null) || groups.some((group) => group?.memberExternalIds == null)) throw serverError();
  return { members: members as ImportedMemberEntry[], groups: groups as ImportedGroupEntry[], overwriteExisting: overwriteExisting!, largeImport };
}

function bindMember(raw: unknown, path: string): BoundMember | null {
  const entry = readObject(raw, path, 'OrganizationImportMemberRequestModel');
  return entry && {
    email: readString(entry.email, `${path}.email`),
    externalId: readPermissiveString(entry.externalId, `${path}.externalId`),
    deleted: readBoolean(entry.deleted, `${path}.deleted`) ?? false,
  };
}

function bindGroup(raw: unknown, path: string): BoundGroup | null {
  const entry = readObject(raw, path, 'OrganizationImportGroupRequestModel');
  return entry && {
    name: readString(entry.name, `${path}.name`),
    externalId: readPermissiveString(entry.externalId, `${path}.externalId`),
    memberExternalIds: readPermissiveStringList(entry.memberExternalIds, `${path}.memberExternalIds`),
  };
}

/** A null entry is not validated (it crashes the controller afterwards). */
function validateMember(member: BoundMember | null, key: string, errors: Errors): void {
  if (!member) return;
  const errorsBefore = Object.keys(errors).length;
  if (member.email !== null) {
    if (!isDotNetEmailAddress(member.email)) addError(errors, `${key}.Email`, 'The Email field is not a valid e-mail address.');
    maxLength(member.email, 256, `${key}.Email`, 'Email', errors);
  }
  requiredWithMaxLength(member.externalId, 300, `${key}.ExternalId`, 'ExternalId', errors);
  // The model's own Validate (IValidatableObject) runs only once its properties are valid.
  if (Object.keys(errors).length === errorsBefore && isBlank(member.email) && !member.deleted) addError(errors, `${key}.Email`, 'Email is required for enabled members.');
}

function validateGroup(group: BoundGroup | null, key: string, errors: Errors): void {
  if (!group) return;
  requiredWithMaxLength(group.name, 100, `${key}.Name`, 'Name', errors);
  requiredWithMaxLength(group.externalId, 300, `${key}.ExternalId`, 'ExternalId', errors);
}

// ---- System.Text.Json ----

/** The first value System.Text.Json cannot convert ends the binding; MVC reports it alone, keyed by its JSON path. */
function unconvertible(path: string, type: string): never {
  throw modelStateError({ [path]: [`The JSON value could not be converted to ${type}. Path: ${path}`] });
}

/** Undefined when absent. Null only for a `bool?`: a plain `bool` cannot take it. */
function readBoolean(value: unknown, path: string, { nullable = false } = {}): boolean | null | undefined {
  if (value === undefined) return undefined;
  if (value === null && nullable) return null;
  if (typeof value !== 'boolean') return unconvertible(path, nullable ? 'System.Nullable`1[System.Boolean]' : 'System.Boolean');
  return value;
}

function readString(value: unknown, path: string): string | null {
  if (value == null) return null;
  if (typeof value !== 'string') return unconvertible(path, 'System.String');
  return value;
}

/** Bitwarden's PermissiveStringConverter: a string, or a number or boolean read as one (`True`, `False`). */
function readPermissiveString(value: unknown, path: string): string | null {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return readString(value, path);
}

/** Bitwarden's PermissiveStringEnumerableConverter: a list of permissive strings, none of them null, or a single one read as a list of one. */
function readPermissiveStringList(value: unknown, path: string): string[] | null {
  if (value == null) return null;
  return (Array.isArray(value) ? value : [value]).map((item, index) => readPermissiveString(item, `${path}[${index}]`) ?? unconvertible(`${path}[${index}]`, 'System.String'));
}

function readList(value: unknown, path: string, type: string): unknown[] | null {
  if (value == null) return null;
  if (!Array.isArray(value)) return unconvertible(path, type);
  return value;
}

function readObject(value: unknown, path: string, type: string): Body | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return unconvertible(path, type);
  return camelKeys(value as Body);
}

// ---- data annotations ----

function addError(errors: Errors, key: string, message: string): void {
  (errors[key] ??= []).push(message);
}

const isBlank = (value: string | null) => value === null || value.trim().length === 0;

/** `[Required]` (which refuses blank strings too) and `[StringLength(limit)]`. */
function requiredWithMaxLength(value: string | null, limit: number, key: string, name: string, errors: Errors): void {
  if (isBlank(value)) addError(errors, key, `The ${name} field is required.`);
  else maxLength(value!, limit, key, name, errors);
}

function maxLength(value: string, limit: number, key: string, name: string, errors: Errors): void {
  if (value.length > limit) addError(errors, key, `The field ${name} must be a string with a maximum length of ${limit}.`);
}

/** .NET's `[EmailAddress]`: exactly one `@`, neither first nor last, and no line break. */
function isDotNetEmailAddress(value: string): boolean {
  const at = value.indexOf('@');
  return at > 0 && at < value.length - 1 && at === value.lastIndexOf('@') && !/[\r\n]/.test(value);
}
