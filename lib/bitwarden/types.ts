import type { MemberStatusCode } from '../vocabulary/bitwarden.js';

/** Bitwarden Public API shapes (docs/reference/bitwarden-public-api.md §5, §7). Enums are integers on the wire: their names are in lib/vocabulary/bitwarden.ts. */

export interface CollectionAccess {
  id: string;
  readOnly: boolean;
  hidePasswords: boolean;
  manage: boolean;
}

export interface Member {
  object: 'member';
  id: string;
  userId: string | null;
  name: string | null;
  email: string;
  twoFactorEnabled: boolean;
  status: MemberStatusCode;
  collections: CollectionAccess[] | null;
  resetPasswordEnrolled: boolean;
  ssoExternalId: string | null;
  type: number;
  externalId: string | null;
  permissions: Record<string, boolean> | null;
}

export interface Group {
  object: 'group';
  id: string;
  name: string;
  externalId: string | null;
  collections: CollectionAccess[] | null;
}

export interface InviteRequest {
  email: string;
  type: number;
  externalId: string;
  groups: string[];
  collections?: CollectionAccess[];
}

/** PUT /public/members/{id}: every field the server would otherwise reset must be sent (docs/reference/bitwarden-public-api.md §7.3). */
export interface MemberUpdateRequest {
  type: number;
  externalId: string | null;
  collections: CollectionAccess[];
  permissions?: Record<string, boolean> | null;
  groups?: string[];
}

export interface GroupRequest {
  name: string;
  externalId: string | null;
  collections?: CollectionAccess[];
}

/** One member of a bulk import (docs/reference/bitwarden-public-api.md §7.8): invited as a User, found afterwards by `externalId`. */
export interface ImportedMember {
  email: string;
  externalId: string;
}
