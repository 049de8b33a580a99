import { createHash } from 'node:crypto';
import type { Policy, Rule } from '../config/schema.js';
import { decide, type DesiredState } from '../policy/decide.js';
import { eventTime, type WorkerEventMessage } from '../queue/message.js';
import type { Member } from '../bitwarden/types.js';
import type { WorkerState } from '../store/worker-state.js';
import type { WorkerRecord } from '../vocabulary/worker-record.js';
import type { FoundMember, MemberLookup } from './find-member.js';
import type { GroupDirectory } from './plan.js';
import { plan, type Plan } from './plan.js';

/** What evaluating an event needs: read-only ports, so the worker, every preview and reconcile share it. */
export interface EvaluateDependencies {
  workers: { get(workerKey: string): Promise<WorkerState | null>; linkedTo(memberId: string): Promise<string[]> };
  rules(): Promise<Rule[]>;
  groups: { resolve(rules: readonly Rule[]): Promise<GroupDirectory> };
  members: MemberLookup;
  policy: Policy;
  /** The worker's current record from its source's API, or null when the source no longer has it. */
  fetchWorker(provider: string, workerKey: string): Promise<WorkerRecord | null>;
  now(): Date;
}

/** The member found by e-mail belongs to another worker who still has access: it is not this worker's. */
export interface IdentityCollision {
  memberId: string;
  email: string;
  ownerWorkerKey: string;
}

export type Evaluation =
  | { outcome: 'skip'; reason: string; state: WorkerState | null }
  | {
      outcome: 'plan';
      state: WorkerState | null;
      /** The event's time as ordering uses it: the sender's, clamped to the receipt. */
      occurredAt: string;
      /** Said in the audit: the sender's time was after the receipt. */
      clampedFrom: string | null;
      /** Set when the e-mail matched another active worker's member: nothing is done, and reconcile and status show it. */
      collision: IdentityCollision | null;
      /** The newest record; null when the source no longer has the worker. */
      record: WorkerRecord | null;
      recordHash: string;
      desired: DesiredState;
      found: FoundMember;
      directory: GroupDirectory;
      plan: Plan;
    };

/** The directory of an evaluation that grants no groups (plan() never asks it). */
const NO_GROUPS: GroupDirectory = {
  managedIds: new Set(),
  idOf(name) {
    throw new Error(`group "${name}" asked of an evaluation that grants no groups`);
  },
};

export const hashRecord = (record: WorkerRecord | null) => createHash('sha256').update(JSON.stringify(record)).digest('hex');

/**
 * An event older than the applied one is stale. At the same instant, the same record again is a
 * duplicate (whatever its delivery id), and so is a thin event of the same delivery (re-reading
 * the source would give the same record); a different record at the same instant is not.
 */
function skipReason(state: WorkerState | null, message: WorkerEventMessage, occurredAt: string, recordHash: string | null): string | null {
  if (!state) return null;
  const incoming = Date.parse(occurredAt);
  const applied = Date.parse(state.lastEventAt);
  if (incoming < applied) return `stale: occurred ${occurredAt}, older than the applied event of ${state.lastEventAt}`;
  if (incoming > applied) return null;
  const sameRecord = recordHash !== null && recordHash === state.recordHash;
  const sameThinDelivery = message.subject.kind === 'fetch' && message.deliveryId === state.lastDeliveryId;
  return sameRecord || sameThinDelivery ? `duplicate of delivery ${state.lastDeliveryId}` : null;
}

/** The source no longer has the worker: revoke, unless the policy keeps its member as it is. */
function removedWorker(state: WorkerState | null, message: WorkerEventMessage, policy: Policy): DesiredState | null {
  if (policy.onWorkerRemoved === 'keep') return null;
  const email = state?.record.workEmail ?? (message.subject.kind === 'removed' ? (message.subject.workEmail?.toLowerCase() ?? null) : null);
  return { access: 'revoked', email, memberType: policy.memberType, enforceMemberType: false, groups: [], matchedRules: [], reason: 'the HR system no longer has this worker', reevaluateAt: null };
}

/**
 * What one event means for one worker right now, without changing anything (docs/design.md,
 * decision 1): the stored state → the newest record (carried, fetched, or the stored one for a
 * re-evaluation) → decide → find the member → plan, or a skip with its reason. The worker executes
 * this; `plan --event`, `rules explain`, `status` and reconcile show it.
 */
export async function evaluate(message: WorkerEventMessage, deps: EvaluateDependencies, known?: { state: WorkerState | null; rules?: Rule[] }): Promise<Evaluation> {
  const state = known ? known.state : await deps.workers.get(message.workerKey);
  const skip = (reason: string): Evaluation => ({ outcome: 'skip', reason, state });
  const time = eventTime(message);

  // A re-evaluation applies the newest known record at a new instant; any other event must be newer than what was applied.
  let record: WorkerRecord | null;
  let recordHash: string;
  if (message.subject.kind === 'reevaluate') {
    if (!state) return skip('nothing is known about this worker to re-evaluate');
    record = state.record;
    recordHash = state.recordHash;
  } else {
    const stale = skipReason(state, message, time.at, null);
    if (stale) return skip(stale);
    record = await resolveRecord(message, deps);
    recordHash = hashRecord(record);
    const duplicate = skipReason(state, message, time.at, recordHash);
    if (duplicate) return skip(duplicate);
  }

  const rules = known?.rules ?? (await deps.rules());
  const desired = record ? decide(record, rules, deps.policy, deps.now(), { revokedAt: state?.revokedAt ?? null }) : removedWorker(state, message, deps.policy);
  if (!desired) return skip('the HR system no longer has this worker; policy.onWorkerRemoved keeps the member as it is');
  // Only a membership needs the groups' ids: a revocation keeps them as they are and reads no group list.
  const directory = desired.access === 'member' ? await deps.groups.resolve(rules) : NO_GROUPS;
  const candidate = await deps.members.find(message.workerKey, state?.memberId ?? null, desired.email, {
    // Revoking and removing keep or drop the memberships as they are: no need to read them.
    groups: desired.access === 'member',
    // A re-evaluation (a reconcile's correction, a bulk import's follow-up) must see Bitwarden as it was when it was asked for;
    // a worker whose invitation was queued may have been imported since.
    freshAfter: message.subject.kind === 'reevaluate' ? Date.parse(message.receivedAt) : state?.inviteQueuedAt ? Date.now() : undefined,
    // A known member's revocation is one call, with no read first.
    lastWritten: desired.access === 'revoked' && state ? { email: state.record.workEmail, revoked: state.access === 'revoked' && !state.heldByGuard } : undefined,
    writtenAt: state?.memberWrittenAt ? Date.parse(state.memberWrittenAt) : undefined,
    verify: desired.access === 'revoked' || desired.access === 'removed',
  });
  const base = { outcome: 'plan' as const, state, record, recordHash, desired, directory, occurredAt: time.at, clampedFrom: time.clamped ? message.occurredAt : null };
  const { found, collision } = await claim(candidate, message.workerKey, deps);
  if (collision) return { ...base, collision, found, plan: { actions: [], blocked: collisionReason(collision) } };
  return { ...base, collision: null, found, plan: plan(message.workerKey, desired, found, directory) };
}

/**
 * Whether the worker may have the member found for it: a member found by e-mail that another active
 * worker owns is a collision (nothing is matched); one a terminated worker owns is taken over.
 */
export async function claim(candidate: FoundMember, workerKey: string, deps: Pick<EvaluateDependencies, 'workers'>): Promise<{ found: FoundMember; collision: IdentityCollision | null }> {
  const owner = candidate.linkedBy === 'email' ? await ownerOf(candidate.member!, workerKey, deps) : null;
  if (owner?.active) {
    return { found: { member: null, groupIds: [], linkedBy: null }, collision: { memberId: candidate.member!.id, email: candidate.member!.email, ownerWorkerKey: owner.workerKey } };
  }
  return { found: owner ? { ...candidate, takeoverFrom: owner.workerKey } : candidate, collision: null };
}

export const collisionReason = (collision: IdentityCollision) =>
  `the e-mail ${collision.email} belongs to member ${collision.memberId}, linked to active worker ${collision.ownerWorkerKey}: not matched (a member is never moved from an active worker by e-mail)`;

/**
 * E-mail is only a first-link hint (docs/design.md, decision 3): a member found by e-mail may
 * already be another worker's, by its externalId or by that worker's stored link. Such a member
 * is never taken from a worker who still has access; from a terminated one, a rehire under a new
 * id takes it over.
 */
async function ownerOf(member: Member, workerKey: string, deps: Pick<EvaluateDependencies, 'workers'>): Promise<{ workerKey: string; active: boolean } | null> {
  const keys = new Set([...(member.externalId ? [member.externalId] : []), ...(await deps.workers.linkedTo(member.id))]);
  keys.delete(workerKey);
  let terminated: string | null = null;
  for (const key of keys) {
    const owner = await deps.workers.get(key);
    if (!owner) continue; // an externalId another tool set (Directory Connector, SCIM): nobody here owns it
    if (owner.access === 'member' || owner.access === 'not-yet' || owner.heldByGuard) return { workerKey: key, active: true };
    terminated = key;
  }
  return terminated ? { workerKey: terminated, active: false } : null;
}

/** The newest record: carried by the event, read from the source, or null when the source no longer has the worker. */
function resolveRecord(message: WorkerEventMessage, deps: EvaluateDependencies): Promise<WorkerRecord | null> | WorkerRecord | null {
  switch (message.subject.kind) {
    case 'record':
      return message.subject.worker;
    case 'fetch':
      return deps.fetchWorker(message.provider, message.workerKey);
    default:
      return null;
  }
}
