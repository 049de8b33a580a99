import type { BitwardenClient } from '../bitwarden/client.js';
import { RevokeUnsupportedError } from '../bitwarden/errors.js';
import type { Member } from '../bitwarden/types.js';
import type { LifecycleConfig } from '../config/schema.js';
import { memberTypeCode } from '../vocabulary/bitwarden.js';
import type { Action } from './plan.js';

export interface ExecutedAction {
  action: Action;
  memberId: string;
  detail: string;
  /** The member an invite created, as Bitwarden answered it. */
  member?: Member;
}

export type RevokeFallback = LifecycleConfig['bitwarden']['onRevokeUnsupported'];

/** Carries out one planned action: one Bitwarden write (two for a link, which must read the member first). */
export async function execute(action: Action, bitwarden: BitwardenClient, onRevokeUnsupported: RevokeFallback): Promise<ExecutedAction> {
  switch (action.kind) {
    case 'invite': {
      const member = await bitwarden.inviteMember({ email: action.email, type: memberTypeCode(action.type), externalId: action.externalId, groups: action.groupIds });
      return { action, memberId: member.id, member, detail: `invited ${action.email} with ${action.groupIds.length} group(s)` };
    }
    case 'set-groups':
      await bitwarden.setMemberGroupIds(action.memberId, action.groupIds);
      return { action, memberId: action.memberId, detail: `groups +[${action.added.join(', ')}] -[${action.removed.join(', ')}]` };
    case 'link':
      await bitwarden.updateMember(action.memberId, { externalId: action.externalId });
      return {
        action,
        memberId: action.memberId,
        detail: action.takenOverFrom
          ? `took over the member of terminated worker ${action.takenOverFrom} (a rehire under a new id); externalId set to ${action.externalId}`
          : `linked existing member by e-mail; externalId set to ${action.externalId}`,
      };
    case 'revoke': {
      try {
        const outcome = await bitwarden.revokeMember(action.memberId);
        return { action, memberId: action.memberId, detail: outcome === 'revoked' ? 'revoked' : 'was already revoked' };
      } catch (error) {
        if (!(error instanceof RevokeUnsupportedError) || onRevokeUnsupported !== 'remove') throw error;
        await bitwarden.deleteMember(action.memberId);
        return { action, memberId: action.memberId, detail: 'removed: this server cannot revoke (before v2026.2.0) and the config says remove' };
      }
    }
    case 'set-type':
      await bitwarden.updateMember(action.memberId, { type: memberTypeCode(action.type) });
      return { action, memberId: action.memberId, detail: `member type set to ${action.type} by the rules` };
    case 'remove':
      await bitwarden.deleteMember(action.memberId);
      return { action, memberId: action.memberId, detail: 'removed the revoked membership (policy.removeRevokedAfterDays)' };
    case 'restore': {
      const outcome = await bitwarden.restoreMember(action.memberId);
      return { action, memberId: action.memberId, detail: outcome === 'restored' ? 'restored' : 'was already active' };
    }
  }
}
