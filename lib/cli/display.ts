import type { Group, Member } from '../bitwarden/types.js';
import type { Action } from '../sync/plan.js';
import { memberStatusName, memberTypeName } from '../vocabulary/bitwarden.js';

/** How the CLI shows what the product stores: names where Bitwarden speaks ids and codes, times in the organization's zone. */

/**
 * An instant in `timeZone` (policy.timeZone) with UTC beside it: `2026-05-02 09:14:03 GMT+2 (07:14:03 UTC)`;
 * the UTC date too when it is another day. In UTC itself: `2026-05-02 07:14:03 UTC`.
 */
export function instantIn(timeZone: string): (instant: string | null | undefined) => string {
  const format = (date: Date, zone: string) => {
    const parts = Object.fromEntries(
      new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' })
        .formatToParts(date)
        .map((part) => [part.type, part.value]),
    );
    return { day: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}:${parts.second}`, zone: parts.timeZoneName };
  };
  return (instant) => {
    const date = instant ? new Date(instant) : null;
    if (!date || Number.isNaN(date.getTime())) return instant ?? '-';
    const utc = format(date, 'UTC');
    if (timeZone === 'UTC') return `${utc.day} ${utc.time} UTC`;
    const local = format(date, timeZone);
    return `${local.day} ${local.time} ${local.zone} (${local.day === utc.day ? '' : `${utc.day} `}${utc.time} UTC)`;
  };
}

const GROUP_ID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;

/** Group ids by name, from Bitwarden's group list. */
export const groupNames = (groups: readonly Group[]): ReadonlyMap<string, string> => new Map(groups.map((group) => [group.id, group.name]));

/**
 * Texts with every group id replaced by the group's name. Groups are listed only when a text holds
 * an id; when they cannot be listed the ids stay, and `unresolved` says why.
 */
export async function withGroupNames(texts: readonly string[], listGroups: () => Promise<Group[]>): Promise<{ texts: string[]; unresolved: string | null }> {
  if (!texts.some((text) => text.match(GROUP_ID))) return { texts: [...texts], unresolved: null };
  let names: ReadonlyMap<string, string>;
  try {
    names = groupNames(await listGroups());
  } catch (error) {
    return { texts: [...texts], unresolved: (error as Error).message };
  }
  return { texts: texts.map((text) => text.replace(GROUP_ID, (id) => names.get(id) ?? id)), unresolved: null };
}

/** What an action does, in names: `invite ana@example.com as user in All Staff, Engineering`. */
export function describeAction(action: Action, names: ReadonlyMap<string, string>): string {
  const groups = (ids: readonly string[]) => ids.map((id) => names.get(id) ?? id).join(', ');
  switch (action.kind) {
    case 'invite':
      return `invite ${action.email} as ${action.type}${action.groupIds.length ? ` in ${groups(action.groupIds)}` : ', in no group'}`;
    case 'link':
      return action.takenOverFrom ? `take over the member of terminated worker ${action.takenOverFrom}` : `link the existing member with this e-mail (externalId ${action.externalId})`;
    case 'set-type':
      return `make the member ${action.type === 'admin' ? 'an' : 'a'} ${action.type}`;
    case 'set-groups':
      return `set groups${action.added.length ? ` +[${groups(action.added)}]` : ''}${action.removed.length ? ` -[${groups(action.removed)}]` : ''}`;
    case 'restore':
    case 'revoke':
    case 'remove':
      return `${action.kind} the member`;
  }
}

/** A member as people read it: status and type by name. */
export function memberSummary(member: Member, groupNamesOfMember: readonly string[]) {
  return { id: member.id, email: member.email, externalId: member.externalId, status: memberStatusName(member.status), type: memberTypeName(member.type), groups: groupNamesOfMember };
}
