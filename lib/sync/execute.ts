import type { BitwardenClient } from '../bitwarden/client.js';
import type { Action } from './plan.js';

export interface ExecutedAction {
  action: Action;
  memberId: string;
  detail: string;
}

/** Carries out one planned action: one Bitwarden write. */
export async function execute(action: Action, bitwarden: BitwardenClient): Promise<ExecutedAction> {
  switch (action.kind) {
    case 'invite': {
      const member = await bitwarden.inviteMember({ email: action.email, type: action.type, externalId: action.externalId, groups: action.groupIds });
      return { action, memberId: member.id, detail: `invited ${action.email} with ${action.groupIds.length} group(s)` };
    }
    case 'set-groups':
      await bitwarden.setMemberGroupIds(action.memberId, action.groupIds);
      return { action, memberId: action.memberId, detail: `groups +[${action.added.join(', ')}] -[${action.removed.join(', ')}]` };
    case 'revoke': {
      const outcome = await bitwarden.revokeMember(action.memberId);
      return { action, memberId: action.memberId, detail: outcome === 'revoked' ? 'revoked' : 'was already revoked' };
    }
    case 'restore': {
      const outcome = await bitwarden.restoreMember(action.memberId);
      return { action, memberId: action.memberId, detail: outcome === 'restored' ? 'restored' : 'was already active' };
    }
  }
}
