import type { Member } from '../bitwarden/types.js';
import type { WorkerState } from '../store/worker-state.js';
import { MemberStatus } from '../vocabulary/bitwarden.js';

/**
 * Members who accepted their invitation and wait for an admin to confirm them (Bitwarden status
 * Accepted). The Public API cannot confirm a member: confirming hands the organization's key to the
 * user, encrypted with the user's public key, which only a client holding the organization key can
 * do (the web vault, or the `bw` CLI's `confirm org-member`). So people are told, and they confirm.
 * A pure function of a member listing and the worker states, for `lifecycle pending-confirmation`
 * and for reminders.
 */
export interface PendingConfirmation {
  memberId: string;
  email: string;
  /** The worker the member belongs to (by the product's link, else by its externalId); null for a member no worker explains. */
  workerKey: string | null;
  workerName: string | null;
  /** When the product invited the member, if it did. Bitwarden does not say when an invitation was accepted. */
  invitedAt: string | null;
}

export function pendingConfirmations(members: readonly Member[], states: readonly WorkerState[]): PendingConfirmation[] {
  const byMember = new Map(states.filter((state) => state.memberId).map((state) => [state.memberId!, state]));
  const byKey = new Map(states.map((state) => [state.workerKey, state]));
  return members
    .filter((member) => member.status === MemberStatus.Accepted)
    .map((member) => {
      const state = byMember.get(member.id) ?? (member.externalId ? byKey.get(member.externalId) : undefined) ?? null;
      const name = state ? [state.record.firstName, state.record.lastName].filter(Boolean).join(' ') || state.record.displayName : null;
      return { memberId: member.id, email: member.email, workerKey: state?.workerKey ?? null, workerName: name || null, invitedAt: state?.invitedAt ?? null };
    })
    .sort((a, b) => (a.invitedAt ?? '').localeCompare(b.invitedAt ?? '') || a.email.localeCompare(b.email));
}
