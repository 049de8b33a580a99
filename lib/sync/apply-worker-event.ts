import { createHash } from 'node:crypto';
import type { BitwardenClient } from '../bitwarden/client.js';
import { BitwardenError, BitwardenMessages } from '../bitwarden/errors.js';
import type { Policy, Rule } from '../config/schema.js';
import type { WorkerRecord } from '../hris/worker-record.js';
import type { RevocationGuard } from '../lifecycle/guard.js';
import { decide, type DesiredState } from '../policy/decide.js';
import type { WorkerEventMessage } from '../queue/message.js';
import type { AuditEntry, AuditLog } from '../store/audit-log.js';
import type { WorkerState, WorkerStateStore } from '../store/worker-state.js';
import { execute, type ExecutedAction, type RevokeFallback } from './execute.js';
import { findMember } from './find-member.js';
import type { GroupDirectoryCache } from './group-directory.js';
import { plan, type Plan } from './plan.js';

export interface SyncDependencies {
  workers: WorkerStateStore;
  audit: AuditLog;
  rules(): Promise<Rule[]>;
  groups: GroupDirectoryCache;
  bitwarden: BitwardenClient;
  guard: RevocationGuard;
  policy: Policy;
  onRevokeUnsupported: RevokeFallback;
  /** The worker's current record from its provider's API, or null when the provider no longer has it. */
  fetchWorker(provider: string, workerKey: string): Promise<WorkerRecord | null>;
  now(): Date;
}

export type ApplyOutcome =
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'applied' | 'planned' | 'blocked' | 'held'; plan: Plan; executed: ExecutedAction[] };

/** Longer than a worker invocation can run (30 s) and shorter than the visibility timeout, so a crashed worker's lease frees itself before its message returns. */
const leaseMs = () => Number(process.env.WORKER_LEASE_SECONDS ?? 60) * 1000;

export const hashRecord = (record: WorkerRecord | null) => createHash('sha256').update(JSON.stringify(record)).digest('hex');

/** An event older than the applied one is stale; the same delivery, or the same record at the same instant, is a duplicate. */
export function skipReason(state: WorkerState | null, message: WorkerEventMessage, recordHash: string | null): string | null {
  if (!state) return null;
  const incoming = Date.parse(message.occurredAt);
  const applied = Date.parse(state.lastEventAt);
  if (incoming < applied) return `stale: occurred ${message.occurredAt}, older than the applied event of ${state.lastEventAt}`;
  if (incoming === applied && (message.deliveryId === state.lastDeliveryId || recordHash === state.recordHash)) return `duplicate of delivery ${state.lastDeliveryId}`;
  return null;
}

/** The newest record: carried by the event, read from the provider, or null when the HR system no longer has the worker. */
export async function resolveRecord(message: WorkerEventMessage, deps: SyncDependencies): Promise<WorkerRecord | null> {
  if (message.subject.kind === 'record') return message.subject.worker;
  if (message.subject.kind === 'fetch') return deps.fetchWorker(message.provider, message.workerKey);
  return null;
}

export function removedWorker(state: WorkerState | null, message: WorkerEventMessage, policy: Policy): DesiredState | null {
  if (policy.onWorkerRemoved === 'keep') return null;
  const email = state?.record.workEmail ?? (message.subject.kind === 'removed' ? message.subject.workEmail?.toLowerCase() ?? null : null);
  return { access: 'revoked', email, memberType: 2, enforceMemberType: false, groups: [], matchedRules: [], reason: 'the HR system no longer has this worker', reevaluateAt: null };
}

/**
 * Brings one worker's Bitwarden membership in line with the newest HR record
 * (design decision 1): decide what should be, read what is, do the difference, remember it.
 * Running it twice on the same event changes nothing the second time. The worker is leased for
 * the duration, so the normal and urgent lanes never act on one worker at once.
 */
export async function applyWorkerEvent(message: WorkerEventMessage, deps: SyncDependencies): Promise<ApplyOutcome> {
  const release = await deps.workers.lease(message.workerKey, deps.now(), leaseMs());
  try {
    return await applyLeased(message, deps);
  } finally {
    await release();
  }
}

async function applyLeased(message: WorkerEventMessage, deps: SyncDependencies): Promise<ApplyOutcome> {
  const { workerKey } = message;
  const state = await deps.workers.get(workerKey);
  const now = deps.now();
  const audit = (outcome: AuditEntry['outcome'], action: string, memberId: string | null, detail: string): AuditEntry => ({
    workerKey,
    at: deps.now().toISOString(),
    deliveryId: message.deliveryId,
    provider: message.provider,
    eventType: message.eventType,
    outcome,
    action,
    memberId,
    detail,
  });
  const skip = async (reason: string): Promise<ApplyOutcome> => {
    await deps.audit.record([audit('skipped', 'none', state?.memberId ?? null, reason)]);
    return { outcome: 'skipped', reason };
  };

  // A re-evaluation applies the newest known record at a new instant; any other event must be newer than what was applied.
  const reevaluation = message.subject.kind === 'reevaluate';
  let record: WorkerRecord | null;
  let recordHash: string;
  if (reevaluation) {
    if (!state) return skip('nothing is known about this worker to re-evaluate');
    record = state.record;
    recordHash = state.recordHash;
  } else {
    const stale = skipReason(state, message, null);
    if (stale) return skip(stale);
    record = await resolveRecord(message, deps);
    recordHash = hashRecord(record);
    const duplicate = skipReason(state, message, recordHash);
    if (duplicate) return skip(duplicate);
  }

  const rules = await deps.rules();
  const desired = record ? decide(record, rules, deps.policy, now, { revokedAt: state?.revokedAt ?? null }) : removedWorker(state, message, deps.policy);
  if (!desired) return skip('the HR system no longer has this worker; policy.onWorkerRemoved keeps the member as it is');
  const directory = await deps.groups.resolve(rules);
  let found = await findMember(deps.bitwarden, workerKey, state?.memberId ?? null, desired.email);
  let planned = plan(workerKey, desired, found, directory);

  if (planned.blocked) await deps.audit.record([audit('blocked', 'none', found.member?.id ?? null, planned.blocked)]);
  if (deps.policy.dryRun) {
    // Dry run: nothing is sent and no state is saved, so switching dry run off applies the same events for real.
    await deps.audit.record(planned.actions.map((action) => audit('planned', action.kind, 'memberId' in action ? action.memberId : null, `${desired.reason}; would ${action.kind}`)));
    return { outcome: 'planned', plan: planned, executed: [] };
  }

  const executed: ExecutedAction[] = [];
  let held = false;
  for (let index = 0; index < planned.actions.length; index++) {
    const action = planned.actions[index]!;
    if (action.kind === 'revoke') {
      const permit = await deps.guard.permit(workerKey, now);
      if (!permit.allowed) {
        // Held, not failed: the message completes, and the sweeper re-evaluates the worker once approved or below the limit.
        held = true;
        await deps.guard.hold(workerKey, now, `${desired.reason}; ${permit.reason}`);
        await deps.audit.record([audit('held', action.kind, action.memberId, `${desired.reason}; held by the mass-revocation guard: ${permit.reason}`)]);
        continue;
      }
    }
    let done: ExecutedAction;
    // Write-ahead: the intent is on record before Bitwarden is called.
    await deps.audit.record([audit('attempted', action.kind, 'memberId' in action ? action.memberId : null, `${desired.reason}; ${action.kind}`)]);
    try {
      done = await execute(action, deps.bitwarden, deps.onRevokeUnsupported);
    } catch (error) {
      if (action.kind !== 'invite' || !(error instanceof BitwardenError) || !error.is(BitwardenMessages.alreadyInvited)) throw error;
      // Someone invited this e-mail since we looked: link that member instead of inviting twice, and plan again.
      found = await findMember(deps.bitwarden, workerKey, null, desired.email);
      if (!found.member) throw error;
      planned = plan(workerKey, desired, found, directory);
      index = -1;
      continue;
    }
    executed.push(done);
    if (action.kind === 'revoke') await deps.guard.recordRevocation(workerKey, now);
    // Audited one by one, so a crash between two writes still leaves a trail of the first.
    await deps.audit.record([audit('applied', action.kind, done.memberId, `${desired.reason}; ${done.detail}`)]);
  }
  if (!held && state?.heldByGuard) await deps.guard.drop(workerKey);
  // Every delivery leaves a trace, including one that found Bitwarden already in step.
  if (planned.actions.length === 0 && !planned.blocked) await deps.audit.record([audit('applied', 'none', found.member?.id ?? null, `${desired.reason}; already in step, nothing to change`)]);

  const revoked = desired.access === 'revoked' || desired.access === 'removed';
  await deps.workers.save(
    {
      workerKey,
      provider: message.provider === 'lifecycle' ? (state?.provider ?? message.provider) : message.provider,
      lastEventAt: reevaluation ? state!.lastEventAt : message.occurredAt,
      lastDeliveryId: reevaluation ? state!.lastDeliveryId : message.deliveryId,
      recordHash,
      // A removed worker keeps its last known record, marked terminated.
      record: record ?? { ...(state?.record ?? emptyRecord(workerKey, desired.email)), status: 'terminated' },
      memberId: desired.access === 'removed' ? null : (executed.find((done) => done.action.kind === 'invite')?.memberId ?? found.member?.id ?? null),
      access: desired.access,
      groups: desired.groups,
      revokedAt: revoked && !held ? (state?.revokedAt ?? now.toISOString()) : null,
      invitedAt: executed.some((done) => done.action.kind === 'invite') ? now.toISOString() : (state?.invitedAt ?? null),
      heldByGuard: held,
      reevaluateAt: desired.reevaluateAt,
      updatedAt: now.toISOString(),
    },
    state?.version ?? null,
  );
  return { outcome: held ? 'held' : planned.blocked ? 'blocked' : 'applied', plan: planned, executed };
}

function emptyRecord(externalId: string, workEmail: string | null): WorkerRecord {
  return {
    externalId, workEmail, personalEmail: null, firstName: null, lastName: null, displayName: null, jobTitle: null, department: null, team: null,
    managerWorkEmail: null, location: null, employmentType: 'employee', status: 'terminated', startDate: null, endDate: null, terminationDate: null, attributes: {},
  };
}
