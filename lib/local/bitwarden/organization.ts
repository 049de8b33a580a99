import { randomUUID } from 'node:crypto';
import { BitwardenMessages } from '../../bitwarden/errors.js';
import { type CollectionAccess, type Group, type Member } from '../../bitwarden/types.js';
import { MemberStatus, type MemberStatusCode } from '../../vocabulary/bitwarden.js';
import { badRequest, camelKeys, modelStateError, notFound, resourceNotFound, serverError } from './http-error.js';
import type { ImportedGroupEntry, ImportedMemberEntry, OrganizationImport } from './organization-import.js';

/**
 * The state of one emulated Bitwarden organization and the rules the server applies to it
 * (docs/reference/bitwarden-public-api.md §7–§9): validation, PUT semantics, lifecycle transitions, duplicate invites,
 * set replacement, owner protections, the directory import. Every method takes request bodies as parsed JSON and
 * returns the response body (undefined for the 200-with-empty-body answers), or throws HttpError.
 */

type Body = Record<string, unknown>;

interface StoredMember {
  member: Member;
  /** The status a restore returns to (Bitwarden keeps it while revoked). */
  priorStatus: MemberStatusCode;
  groupIds: Set<string>;
}

interface StoredGroup {
  group: Omit<Group, 'collections'>;
  collections: CollectionAccess[];
}

const STRICT_EMAIL = /^[\x00-\x7F]+@.+\.\p{L}+$/u;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MEMBER_TYPES = new Set([0, 1, 2, 4]);
const OWNER = 0;
const USER = 2;
const CUSTOM = 4;
const PERMISSION_NAMES = [
  'accessEventLogs', 'accessImportExport', 'accessReports', 'createNewCollections', 'editAnyCollection', 'deleteAnyCollection', 'manageGroups',
  'managePolicies', 'manageSso', 'manageUsers', 'manageResetPassword', 'manageScim', 'manageAccessRules',
] as const;
const MANAGE_EXCLUSIVE = 'The Manage property is mutually exclusive and cannot be true while the ReadOnly or HidePasswords properties are also true.';
const LAST_OWNER = 'Organization must have at least one confirmed owner.';
/** Without `largeImport`, the cloud takes at most this many groups, and this many members not `deleted`, in one import. */
const IMPORT_LIMIT = 2_000;
const OVERWRITE_REFUSED = "Sync failed. To proceed, disable the 'Remove and re-add users during next sync' setting and try again.";

export interface OrganizationOptions {
  /** Plans without groups answer group creation with 400. */
  useGroups?: boolean;
  /** Before 2025.11.1 the member list carries `collections: null`. */
  listIncludesCollections?: boolean;
  /** Plans without directory syncing answer the import with 400. */
  useDirectory?: boolean;
}


export class EmulatedOrganization {
  private readonly members = new Map<string, StoredMember>();
  private readonly groups = new Map<string, StoredGroup>();
  /** Collections exist outside the Public API (it cannot create them); tests add them. */
  private readonly collections = new Set<string>();

  constructor(private readonly options: OrganizationOptions = {}) {}

  // ---- seeding and inspection (not part of the API) ----

  addCollection(id: string = randomUUID()): string {
    this.collections.add(id);
    return id;
  }

  addGroup(name: string, externalId: string | null = null): Group {
    return this.groupView(this.storeGroup(name, externalId, []));
  }

  addMember(fields: { email: string; status?: MemberStatusCode; externalId?: string | null; type?: number; groupIds?: string[]; collections?: CollectionAccess[] }): Member {
    const member = newMember(fields.email, fields.type ?? 2, fields.externalId ?? null, fields.collections ?? []);
    member.status = fields.status ?? MemberStatus.Invited;
    if (member.status === MemberStatus.Accepted || member.status === MemberStatus.Confirmed) {
      member.userId = randomUUID();
      member.name = fields.email.split('@')[0]!;
    }
    this.members.set(member.id, { member, priorStatus: member.status, groupIds: new Set(fields.groupIds ?? []) });
    return structuredClone(member);
  }

  addToGroup(memberId: string, groupId: string): void {
    const stored = this.members.get(memberId);
    if (!stored || !this.groups.has(groupId)) throw new Error(`no member ${memberId} or group ${groupId}`);
    stored.groupIds.add(groupId);
  }

  snapshot(): Array<Member & { groupNames: string[] }> {
    return [...this.members.values()].map((stored) => this.view(stored));
  }

  /** The first member `matches`, as snapshot() shows it; copies only that one. */
  findMember(matches: (member: Member) => boolean): (Member & { groupNames: string[] }) | undefined {
    for (const stored of this.members.values()) if (matches(stored.member)) return this.view(stored);
    return undefined;
  }

  private view({ member, groupIds }: { member: Member; groupIds: Set<string> }): Member & { groupNames: string[] } {
    return { ...structuredClone(member), groupNames: [...groupIds].map((id) => this.groups.get(id)?.group.name ?? id).sort() };
  }

  groupList(): Group[] {
    return [...this.groups.values()].map((stored) => this.groupView(stored));
  }

  // ---- members ----

  listMembers() {
    const data = [...this.members.values()].map(({ member }) => ({ ...structuredClone(member), collections: this.options.listIncludesCollections === false ? null : member.collections }));
    return { object: 'list', data };
  }

  getMember(id: string): Member {
    return structuredClone(this.member(id).member);
  }

  invite(raw: Body): Member {
    const body = camelKeys(raw);
    const errors: Record<string, string[]> = {};
    const email = body.email;
    if (typeof email !== 'string' || email.length === 0) errors.Email = ['The Email field is required.'];
    else if (email.length > 256) errors.Email = ['The field Email must be a string with a maximum length of 256.'];
    else if (!STRICT_EMAIL.test(email)) errors.Email = ['The Email field is not a supported e-mail address format.'];
    const { type, collections, permissions } = this.validateMemberModel(body, errors);

    if (this.knownEmails().has((email as string).toLowerCase())) throw badRequest(BitwardenMessages.alreadyInvited);
    const groupIds = Array.isArray(body.groups) ? (body.groups as unknown[]).map((id) => String(id).toLowerCase()) : [];
    // A group id that does not exist breaks the GroupUser foreign key; the server rolls back and says so.
    if (groupIds.some((groupId) => !this.groups.has(groupId))) throw badRequest('Failed to invite users');

    const externalId = typeof body.externalId === 'string' && body.externalId.trim().length > 0 ? body.externalId : null;
    const member = newMember(email as string, type!, externalId, (collections ?? []).filter((access) => this.collections.has(access.id)));
    member.permissions = type === CUSTOM ? (permissions ?? allPermissions(false)) : null;
    this.storeInvited(member, groupIds);
    return { ...structuredClone(member), collections: collections ?? null };
  }

  /** PUT: omitted externalId → null; omitted collections → all access removed; omitted groups → unchanged; `[]` → none. */
  updateMember(id: string, raw: Body): Member {
    const stored = this.member(id);
    const body = camelKeys(raw);
    const { type, collections, permissions } = this.validateMemberModel(body, {});
    if (collections?.some((access) => !this.collections.has(access.id))) throw resourceNotFound();
    const groupIds = Array.isArray(body.groups) ? (body.groups as unknown[]).map((value) => String(value).toLowerCase()) : null;
    if (groupIds?.some((groupId) => !this.groups.has(groupId))) throw resourceNotFound();
    if (stored.member.type === OWNER && type !== OWNER && this.isLastConfirmedOwner(stored)) throw badRequest(LAST_OWNER);

    const member = stored.member;
    member.type = type!;
    member.externalId = typeof body.externalId === 'string' && body.externalId.length > 0 ? body.externalId : null;
    member.collections = collections ?? [];
    if (type === CUSTOM) member.permissions = permissions ?? member.permissions ?? allPermissions(false);
    else member.permissions = null;
    if (groupIds) stored.groupIds = new Set(groupIds);
    return { ...structuredClone(member), collections: collections ?? null };
  }

  removeMember(id: string): undefined {
    const stored = this.member(id);
    if (this.isLastConfirmedOwner(stored)) throw badRequest(LAST_OWNER);
    this.members.delete(stored.member.id);
    return undefined;
  }

  reinvite(id: string): undefined {
    if (this.member(id).member.status !== MemberStatus.Invited) throw badRequest('User invalid.');
    return undefined;
  }

  revoke(id: string): undefined {
    const stored = this.member(id);
    if (stored.member.status === MemberStatus.Revoked) throw badRequest(BitwardenMessages.alreadyRevoked);
    if (this.isLastConfirmedOwner(stored)) throw badRequest(LAST_OWNER);
    stored.priorStatus = stored.member.status;
    stored.member.status = MemberStatus.Revoked;
    return undefined;
  }

  restore(id: string): undefined {
    const stored = this.member(id);
    if (stored.member.status !== MemberStatus.Revoked) throw badRequest(BitwardenMessages.alreadyActive);
    stored.member.status = stored.priorStatus;
    return undefined;
  }

  getMemberGroupIds(id: string): string[] {
    return [...this.member(id).groupIds];
  }

  /** Set replacement: unknown or foreign ids are silently dropped; a missing or null list clears. */
  putMemberGroupIds(id: string, raw: Body): undefined {
    const stored = this.member(id);
    const ids = idList(camelKeys(raw).groupIds);
    stored.groupIds = new Set(ids.filter((groupId) => this.groups.has(groupId)));
    return undefined;
  }

  // ---- groups ----

  listGroups() {
    return { object: 'list', data: this.groupList() };
  }

  getGroup(id: string): Group {
    return this.groupView(this.group(id));
  }

  createGroup(raw: Body): Group {
    const body = camelKeys(raw);
    const collections = this.validateGroup(body);
    if (this.options.useGroups === false) throw badRequest('This organization cannot use groups.');
    // Unknown collection ids are not stored, yet the response echoes them.
    const stored = this.storeGroup(body.name as string, typeof body.externalId === 'string' ? body.externalId : null, (collections ?? []).filter((access) => this.collections.has(access.id)));
    return { ...stored.group, collections: collections ?? null };
  }

  /** PUT: omitted externalId → null; omitted collections → unchanged (the opposite of member PUT). */
  updateGroup(id: string, raw: Body): Group {
    const stored = this.group(id);
    const body = camelKeys(raw);
    const collections = this.validateGroup(body);
    if (collections?.some((access) => !this.collections.has(access.id))) throw resourceNotFound();
    stored.group.name = body.name as string;
    stored.group.externalId = typeof body.externalId === 'string' ? body.externalId : null;
    if (collections) stored.collections = collections;
    return { ...structuredClone(stored.group), collections: collections ?? null };
  }

  deleteGroup(id: string): undefined {
    const stored = this.group(id);
    this.groups.delete(stored.group.id);
    for (const member of this.members.values()) member.groupIds.delete(stored.group.id);
    return undefined;
  }

  getGroupMemberIds(id: string): string[] {
    const groupId = this.group(id).group.id;
    return [...this.members.values()].filter((stored) => stored.groupIds.has(groupId)).map((stored) => stored.member.id);
  }

  putGroupMemberIds(id: string, raw: Body): undefined {
    this.setGroupMembers(this.group(id).group.id, new Set(idList(camelKeys(raw).memberIds)));
    return undefined;
  }

  // ---- directory import ----

  /**
   * POST /public/organization/import (docs/reference/bitwarden-public-api.md §8): the size limit and directory
   * syncing, then the server's five steps in its order. A step keeps what it did when a later one
   * fails, as on the server.
   */
  importOrganization(request: OrganizationImport): undefined {
    const imported = request.members.filter((entry) => !entry.deleted);
    if (!request.largeImport && (request.groups.length > IMPORT_LIMIT || imported.length > IMPORT_LIMIT)) throw badRequest('You cannot import this much data at once.');
    if (this.options.useDirectory === false) throw badRequest('Organization cannot use directory syncing.');

    const importedExternalIds = new Set(imported.map((entry) => entry.externalId));
    // Steps 1 and 2 both look at the members as they were before the import.
    const existing = uniqueIndex(this.membersWithExternalId(), (stored) => stored.member.externalId!);
    // 1. `deleted` entries remove by externalId: never an owner, nor one the import also lists as not deleted.
    for (const entry of request.members.filter((candidate) => candidate.deleted && !importedExternalIds.has(candidate.externalId))) {
      const stored = existing.get(entry.externalId);
      if (stored && stored.member.type !== OWNER) this.members.delete(stored.member.id);
    }
    // 2. `overwriteExisting` removes every other member with an externalId the import does not list, except owners.
    if (request.overwriteExisting) {
      const absent = [...existing.values()].filter((stored) => stored.member.type !== OWNER && !importedExternalIds.has(stored.member.externalId!));
      // Removing a member without a master password (every one without an account, like all
      // Invited members) would leave them unrecoverable, so the server refuses.
      if (absent.some((stored) => stored.member.userId === null)) throw badRequest(OVERWRITE_REFUSED);
      for (const stored of absent) this.members.delete(stored.member.id);
    }
    this.adoptExternalIds(imported);
    this.inviteImported(imported);
    if (request.groups.length > 0) this.importGroups(request.groups);
    return undefined;
  }

  /** Step 3: a member without an externalId adopts the one imported with its e-mail. */
  private adoptExternalIds(imported: ImportedMemberEntry[]): void {
    const knownExternalIds = new Set(this.membersWithExternalId().map((stored) => stored.member.externalId!));
    const importedByEmail = uniqueIndex(imported, (entry) => entry.email!.toLowerCase());
    for (const stored of [...this.members.values()].filter((candidate) => !hasText(candidate.member.externalId))) {
      const entry = importedByEmail.get(stored.member.email.toLowerCase());
      if (!entry) continue;
      // The server adds it to its dictionary of known externalIds: one already there is an unhandled exception.
      if (knownExternalIds.has(entry.externalId)) throw serverError();
      knownExternalIds.add(entry.externalId);
      stored.member.externalId = entry.externalId;
    }
  }

  /** Step 4: externalIds still unknown are invited as Users; an e-mail already in the organization, in any status, is skipped silently. */
  private inviteImported(imported: ImportedMemberEntry[]): void {
    const knownExternalIds = new Set(this.membersWithExternalId().map((stored) => stored.member.externalId!));
    const emails = this.knownEmails();
    for (const entry of imported) {
      if (knownExternalIds.has(entry.externalId) || emails.has(entry.email!.toLowerCase())) continue;
      const member = newMember(entry.email!, USER, entry.externalId, []);
      this.storeInvited(member, []);
      emails.add(member.email);
    }
  }

  /** Step 5: groups matched by externalId, created or renamed, their membership replaced; groups the import does not name are kept. */
  private importGroups(entries: ImportedGroupEntry[]): void {
    if (this.options.useGroups === false) throw badRequest('Organization cannot use groups.');
    const imported = uniqueIndex(entries, (entry) => entry.externalId);
    const existing = uniqueIndex([...this.groups.values()].filter((stored) => hasText(stored.group.externalId)), (stored) => stored.group.externalId!);
    // Two invites can share an externalId; the server's lookup keeps the first one.
    const memberIds = new Map(this.membersWithExternalId().reverse().map(({ member }) => [member.externalId!, member.id]));
    for (const entry of imported.values()) {
      const stored = existing.get(entry.externalId) ?? this.storeGroup(entry.name, entry.externalId, []);
      stored.group.name = entry.name;
      this.setGroupMembers(stored.group.id, new Set(entry.memberExternalIds.flatMap((externalId) => memberIds.get(externalId) ?? [])));
    }
  }

  private membersWithExternalId(): StoredMember[] {
    return [...this.members.values()].filter((stored) => hasText(stored.member.externalId));
  }

  // ---- helpers ----

  private storeInvited(member: Member, groupIds: Iterable<string>): void {
    this.members.set(member.id, { member, priorStatus: MemberStatus.Invited, groupIds: new Set(groupIds) });
  }

  private storeGroup(name: string, externalId: string | null, collections: CollectionAccess[]): StoredGroup {
    const stored: StoredGroup = { group: { object: 'group', id: randomUUID(), name, externalId }, collections };
    this.groups.set(stored.group.id, stored);
    return stored;
  }

  /** Set replacement: exactly these members are in the group afterwards. */
  private setGroupMembers(groupId: string, memberIds: ReadonlySet<string>): void {
    for (const stored of this.members.values()) {
      if (memberIds.has(stored.member.id)) stored.groupIds.add(groupId);
      else stored.groupIds.delete(groupId);
    }
  }

  /** The lower-cased e-mails of every member, in any status: neither the invite nor the import adds one twice. */
  private knownEmails(): Set<string> {
    return new Set([...this.members.values()].map(({ member }) => member.email.toLowerCase()));
  }

  private member(id: string): StoredMember {
    const stored = this.members.get(id.toLowerCase());
    if (!stored) throw notFound();
    return stored;
  }

  private group(id: string): StoredGroup {
    const stored = this.groups.get(id.toLowerCase());
    if (!stored) throw notFound();
    return stored;
  }

  private groupView(stored: StoredGroup): Group {
    return { ...structuredClone(stored.group), collections: structuredClone(stored.collections) };
  }

  private isLastConfirmedOwner(stored: StoredMember): boolean {
    if (stored.member.type !== OWNER || stored.member.status !== MemberStatus.Confirmed) return false;
    return ![...this.members.values()].some((other) => other !== stored && other.member.type === OWNER && other.member.status === MemberStatus.Confirmed);
  }

  /** The model validation POST and PUT member share (type, externalId, collections, permissions), after `errors` already found. */
  private validateMemberModel(body: Body, errors: Record<string, string[]>) {
    const type = this.validateType(body, errors);
    validateExternalId(body, errors);
    const collections = this.validateCollections(body.collections, errors);
    const permissions = validatePermissions(body, type, errors);
    if (Object.keys(errors).length > 0) throw modelStateError(errors);
    if (collections?.some((access) => access.manage && (access.readOnly || access.hidePasswords))) throw badRequest(MANAGE_EXCLUSIVE);
    return { type, collections, permissions };
  }

  private validateType(body: Body, errors: Record<string, string[]>): number | undefined {
    const raw = body.type;
    if (raw === undefined || raw === null) {
      errors.Type = ['The Type field is required.'];
      return undefined;
    }
    const type = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
    if (typeof type !== 'number') {
      errors['$.type'] = ['The JSON value could not be converted to Bit.Core.Enums.OrganizationUserType. Path: $.type'];
      return undefined;
    }
    if (!MEMBER_TYPES.has(type)) errors.Type = ['The field Type is invalid.'];
    return type;
  }

  private validateCollections(raw: unknown, errors: Record<string, string[]>): CollectionAccess[] | null {
    if (raw === undefined || raw === null) return null;
    if (!Array.isArray(raw)) {
      errors['$.collections'] = ['The JSON value could not be converted to the collection list. Path: $.collections'];
      return null;
    }
    return raw.map((entry, index) => {
      const access = camelKeys((entry ?? {}) as Body);
      if (typeof access.id !== 'string' || !GUID.test(access.id)) errors[`Collections[${index}].Id`] = ['The Id field is required.'];
      if (typeof access.readOnly !== 'boolean') errors[`Collections[${index}].ReadOnly`] = ['The ReadOnly field is required.'];
      return { id: String(access.id).toLowerCase(), readOnly: access.readOnly === true, hidePasswords: access.hidePasswords === true, manage: access.manage === true };
    });
  }

  private validateGroup(body: Body): CollectionAccess[] | null {
    const errors: Record<string, string[]> = {};
    if (typeof body.name !== 'string' || body.name.length === 0) errors.Name = ['The Name field is required.'];
    else if (body.name.length > 100) errors.Name = ['The field Name must be a string with a maximum length of 100.'];
    validateExternalId(body, errors);
    const collections = this.validateCollections(body.collections, errors);
    if (Object.keys(errors).length > 0) throw modelStateError(errors);
    if (collections?.some((access) => access.manage && (access.readOnly || access.hidePasswords))) throw badRequest(MANAGE_EXCLUSIVE);
    return collections;
  }
}

function validateExternalId(body: Body, errors: Record<string, string[]>): void {
  const value = body.externalId;
  if (value !== undefined && value !== null && (typeof value !== 'string' || value.length > 300)) {
    errors.ExternalId = ['The field ExternalId must be a string with a maximum length of 300.'];
  }
}

function validatePermissions(body: Body, type: number | undefined, errors: Record<string, string[]>): Record<string, boolean> | null {
  if (body.permissions === undefined || body.permissions === null) return null;
  if (type !== CUSTOM) {
    errors[''] = ['Only users with the Custom role may use custom permissions.'];
    return null;
  }
  const given = camelKeys(body.permissions as Body);
  return Object.fromEntries(PERMISSION_NAMES.map((name) => [name, given[name] === true]));
}

/** .NET's `!string.IsNullOrWhiteSpace`. */
const hasText = (value: string | null) => value !== null && value.trim().length > 0;

/** .NET's `ToDictionary`, which the server builds its lookups with: a duplicate key is an unhandled exception (500). */
function uniqueIndex<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T> {
  const index = new Map<string, T>();
  for (const item of items) {
    if (index.has(keyOf(item))) throw serverError();
    index.set(keyOf(item), item);
  }
  return index;
}

const allPermissions = (value: boolean) => Object.fromEntries(PERMISSION_NAMES.map((name) => [name, value]));
const idList = (raw: unknown) => (Array.isArray(raw) ? raw.map((value) => String(value).toLowerCase()) : []);

function newMember(email: string, type: number, externalId: string | null, collections: CollectionAccess[]): Member {
  return {
    object: 'member', id: randomUUID(), userId: null, name: null, email: email.toLowerCase(), twoFactorEnabled: false, status: MemberStatus.Invited,
    collections, resetPasswordEnrolled: false, ssoExternalId: null, type, externalId, permissions: null,
  };
}

