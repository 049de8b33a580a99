/**
 * Bitwarden's words, by name. The Public API speaks integers (docs/reference/bitwarden-public-api.md
 * §5); everything above this file uses these names, and only the client and the emulator see codes.
 */

/** Organization member types, most privileged first where it matters (see `memberTypePrecedence`). */
export const MemberType = { owner: 0, admin: 1, user: 2, custom: 4 } as const;
export type MemberTypeName = keyof typeof MemberType;
export type MemberTypeCode = (typeof MemberType)[MemberTypeName];
export const memberTypeNames = Object.keys(MemberType) as MemberTypeName[];

/** Most privileged first: a worker matching several rules gets the most privileged type they grant. */
export const memberTypePrecedence: readonly MemberTypeName[] = ['owner', 'admin', 'custom', 'user'];

export const memberTypeCode = (name: MemberTypeName): MemberTypeCode => MemberType[name];
export const memberTypeName = (code: number): MemberTypeName | `type ${number}` => memberTypeNames.find((name) => MemberType[name] === code) ?? `type ${code}`;

/** Membership statuses. `Revoked` keeps the member and its groups, so a restore is lossless. */
export const MemberStatus = { Revoked: -1, Invited: 0, Accepted: 1, Confirmed: 2, Staged: 3 } as const;
export type MemberStatusCode = (typeof MemberStatus)[keyof typeof MemberStatus];
/** `revoked`, `invited`, …: the status as people read it. */
export const memberStatusName = (code: number): string => Object.entries(MemberStatus).find(([, value]) => value === code)?.[0].toLowerCase() ?? `status ${code}`;

/** The writes a plan can make, one Bitwarden call each (a link reads the member first). */
export const actionKinds = ['invite', 'link', 'set-type', 'restore', 'set-groups', 'revoke', 'remove'] as const;
export type ActionKind = (typeof actionKinds)[number];
