import type { BitwardenClient } from '../bitwarden/client.js';
import { BitwardenError, BitwardenMessages, RateBudgetExhaustedError, RevokeUnsupportedError } from '../bitwarden/errors.js';
import { currentCallScope, timeLeftInScope, withinCallScope } from '../bitwarden/call-scope.js';
import { BULK_FOLLOW_UP, type BulkInviter } from './bulk-invites.js';
import type { RevocationGuard } from '../lifecycle/guard.js';
import { GUARD_RELEASE } from '../lifecycle/sweep.js';
import { guardHold } from '../notify/messages.js';
import type { Notifier } from '../notify/notifier.js';
import type { WorkerEventMessage } from '../queue/message.js';
import type { AuditEntry, AuditLog } from '../store/audit-log.js';
import type { WorkerStateStore } from '../store/worker-state.js';
import type { WorkerRecord } from '../vocabulary/worker-record.js';
import { claim, collisionReason, evaluate, type EvaluateDependencies, type Evaluation } from './evaluate.js';
import { execute, type ExecutedAction, type RevokeFallback } from './execute.js';
import { plan, type Action, type Plan } from './plan.js';

export interface SyncDependencies extends EvaluateDependencies {
  workers: WorkerStateStore;
  audit: AuditLog;
  bitwarden: BitwardenClient;
  guard: RevocationGuard;
  onRevokeUnsupported: RevokeFallback;
  /** How long a worker stays leased: longer than an invocation runs, shorter than the visibility timeout. */
  leaseMs: number;
  /** Where invitations wait when Bitwarden's invite counter is spent; without it they wait for their slot. */
  bulkInvites?: BulkInviter;
  /** Who is told of held changes and dead letters; without it (previews, tests of the core), nobody. */
  notifier?: Notifier;
}

export type ApplyOutcome =
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'applied' | 'planned' | 'blocked' | 'held' | 'queued'; plan: Plan; executed: ExecutedAction[] };

type Planned = Extract<Evaluation, { outcome: 'plan' }>;

/**
 * Brings one worker's Bitwarden membership in line with the newest HR record: evaluate → guard →
 * execute → save. Running it twice on the same event changes nothing the second time. The worker
 * is leased for the duration, so the normal and urgent lanes never act on one worker at once.
 */
export async function applyWorkerEvent(message: WorkerEventMessage, deps: SyncDependencies): Promise<ApplyOutcome> {
  // Waiting for the other lane leaves half the invocation's time to the event: a message whose invocation
  // times out comes back only after the queue's visibility timeout, and one that outlives it is received twice.
  const lease = await deps.workers.lease(message.workerKey, deps.now(), deps.leaseMs, timeLeftInScope() / 2);
  let queued = false;
  let saved = false;
  try {
    const audit = auditTrail(message, deps);
    const evaluated = await evaluate(message, deps, { state: lease.state });
    if (evaluated.outcome === 'skip') {
      await audit.record('skipped', 'none', evaluated.state?.memberId ?? null, evaluated.reason);
      return { outcome: 'skipped', reason: evaluated.reason };
    }
    const evaluation = withTimeNote(evaluated);
    const { desired } = evaluation;
    if (evaluation.plan.blocked) await audit.record('blocked', 'none', evaluation.found.member?.id ?? null, evaluation.plan.blocked);
    if (deps.policy.dryRun) {
      // Dry run: nothing is sent and no state is saved, so switching dry run off applies the same events for real.
      for (const action of evaluation.plan.actions) await audit.record('planned', action.kind, 'memberId' in action ? action.memberId : null, `${desired.reason}; would ${action.kind}`);
      // Every delivery leaves a trace, in a dry run too (`lifecycle doctor` waits for it).
      if (evaluation.plan.actions.length === 0 && !evaluation.plan.blocked) await audit.record('planned', 'none', evaluation.found.member?.id ?? null, `${desired.reason}; already in step, nothing to change`);
      return { outcome: 'planned', plan: evaluation.plan, executed: [] };
    }
    const result = await executePlan(evaluation, message, deps, audit);
    await saveState(message, evaluation, result, deps);
    saved = true;
    // A queued invitation that is no longer wanted as queued (a termination, or it was sent) must not be imported.
    if (evaluation.state?.inviteQueuedAt && !result.queued && message.eventType !== `lifecycle.${BULK_FOLLOW_UP}`) await deps.bulkInvites?.withdraw(message.workerKey);
    queued = result.queued;
    return { outcome: result.queued ? 'queued' : result.held ? 'held' : result.plan.blocked ? 'blocked' : 'applied', plan: result.plan, executed: result.executed };
  } finally {
    // A save clears the lease in the same write.
    if (!saved) await lease.release();
    // After the lease: the import and its follow-ups concern other workers.
    if (queued) await deps.bulkInvites!.flush(timeLeftInScope);
  }
}

/** Every entry of a clamped event says so: the sender's time was later than the receipt, and the receipt was used. */
function withTimeNote(evaluation: Planned): Planned {
  if (!evaluation.clampedFrom) return evaluation;
  const note = `event time ${evaluation.clampedFrom} is after its receipt; ordered as ${evaluation.occurredAt}`;
  return { ...evaluation, desired: { ...evaluation.desired, reason: `${evaluation.desired.reason}; ${note}` } };
}

interface Execution {
  plan: Plan;
  executed: ExecutedAction[];
  memberId: string | null;
  held: boolean;
  /** The invitation waits for a bulk import. */
  queued: boolean;
  /** Epoch ms of the last write to the member, if this event made one. */
  memberWrittenAt: number | null;
}

/** Each write is audited before (write-ahead) and after; a revocation the guard holds is recorded and skipped, not failed. */
async function executePlan(evaluation: Planned, message: WorkerEventMessage, deps: SyncDependencies, audit: AuditTrail): Promise<Execution> {
  const { desired, directory } = evaluation;
  const { workerKey } = message;
  const now = deps.now();
  let found = evaluation.found;
  let planned = evaluation.plan;
  const executed: ExecutedAction[] = [];
  let held = false;
  // A hold this event may end: one kept in the worker's state, one the guard's permit found (a crash between hold
  // and save), or one the sweeper released (approved), which must not be released again on every sweep.
  let holdExists = (evaluation.state?.heldByGuard ?? false) || message.eventType === `lifecycle.${GUARD_RELEASE}`;
  let queued = false;
  let replans = 0;
  let memberWrittenAt: number | null = null;
  for (let index = 0; index < planned.actions.length; index++) {
    const action = planned.actions[index]!;
    const losesAccess = action.kind === 'revoke' || (action.kind === 'set-groups' && action.removed.length > 0);
    if (losesAccess) {
      const permit = await deps.guard.permit(workerKey, now);
      if (!permit.allowed) {
        // Held, not failed: the message completes, and the sweeper re-evaluates the worker once an admin approves.
        held = true;
        await deps.guard.hold(workerKey, now, `${desired.reason}; would ${action.kind}; ${permit.reason}`);
        await audit.record('held', action.kind, action.memberId, `${desired.reason}; held by the mass-change guard: ${permit.reason}`);
        // One message per guard window, however many workers it holds.
        await deps.notifier?.notifyOnce('guard-hold', (deps.policy.massRevocationGuard?.windowMinutes ?? 60) * 60, guardHold(workerKey, message.deliveryId, permit.reason, now));
        continue;
      }
      holdExists ||= permit.holdExists;
    }
    await audit.record('attempted', action.kind, 'memberId' in action ? action.memberId : null, `${desired.reason}; ${action.kind}`);
    let done: ExecutedAction;
    // An invite a bulk import can take does not wait for a slot of the one counter every invite shares.
    const bulkInvites = action.kind === 'invite' && deps.bulkInvites?.accepts(action, message, timeLeftInScope()) ? deps.bulkInvites : null;
    try {
      const scope = currentCallScope();
      done = bulkInvites && scope ? await withinCallScope({ ...scope, slotPatienceMs: INVITE_PATIENCE_MS }, () => execute(action, deps.bitwarden, deps.onRevokeUnsupported)) : await execute(action, deps.bitwarden, deps.onRevokeUnsupported);
    } catch (error) {
      if (bulkInvites && action.kind === 'invite' && error instanceof RateBudgetExhaustedError) {
        queued = true;
        await bulkInvites.queue(workerKey, action.email, now);
        await audit.record('queued', 'invite', null, `${desired.reason}; Bitwarden's invite limit is spent for ${Math.ceil(error.retryAfterMs / 1000)} s: the invitation waits for the next bulk import`);
        continue;
      }
      const contradiction = indexContradiction(error, action);
      if (!contradiction || replans >= MAX_REPLANS) throw error;
      // Bitwarden knows better than the member index: an e-mail invited since we looked (link it rather than
      // invite twice), or a member removed by hand (invite again). Read it again and plan again.
      replans++;
      deps.members.invalidate?.();
      const claimed = await claim(await deps.members.find(workerKey, null, desired.email, { groups: true, freshAfter: Date.now() }), workerKey, deps);
      found = claimed.found;
      if (contradiction === 'already-invited' && !found.member && !claimed.collision) throw error;
      planned = claimed.collision ? { actions: [], blocked: collisionReason(claimed.collision) } : plan(workerKey, desired, found, directory);
      index = -1;
      continue;
    }
    const writtenAt = Date.now();
    deps.members.applied?.(done, writtenAt);
    memberWrittenAt = writtenAt;
    executed.push(done);
    if (action.kind === 'link' && action.takenOverFrom) await releaseTakenOver(action.takenOverFrom, action.memberId, workerKey, audit, deps);
    // Audited one by one, so a crash between two writes still leaves a trail of the first. The guard's count of a
    // change that took access away, and the end of the hold it had, are records of the same write: one round trip.
    const endsHold = losesAccess && holdExists;
    await Promise.all([
      audit.record('applied', action.kind, done.memberId, `${desired.reason}; ${done.detail}`),
      losesAccess ? deps.guard.recordRevocation(workerKey, now) : null,
      endsHold ? deps.guard.drop(workerKey) : null,
    ]);
    if (endsHold) holdExists = false;
  }
  // A hold no change ended (the revocation is no longer wanted, or was made already) is dropped too.
  if (!held && holdExists) await deps.guard.drop(workerKey);
  // Every delivery leaves a trace, including one that found Bitwarden already in step.
  if (planned.actions.length === 0 && !planned.blocked) await audit.record('applied', 'none', found.member?.id ?? null, `${desired.reason}; already in step, nothing to change`);
  const invited = executed.find((done) => done.action.kind === 'invite');
  return { plan: planned, executed, held, queued, memberId: invited?.memberId ?? found.member?.id ?? null, memberWrittenAt };
}

/** How long an invite waits for its slot before it goes to the next bulk import instead. */
const INVITE_PATIENCE_MS = 250;

/** When a queued invitation is looked at again if its bulk import has not happened by then. */
const QUEUED_INVITE_CHECK_MS = 5 * 60_000;

const earliest = (a: string | null, b: string) => (a !== null && a < b ? a : b);

/** Plans made again within one event after Bitwarden contradicted what was read: more means something else is wrong. */
const MAX_REPLANS = 2;

/**
 * A write that failed because what was read is no longer so: the invited e-mail is already in the
 * organization, or the member written to no longer exists (a 404 for a member-specific path).
 */
function indexContradiction(error: unknown, action: Action): 'already-invited' | 'member-gone' | null {
  if (!(error instanceof BitwardenError) || error instanceof RevokeUnsupportedError) return null;
  if (action.kind === 'invite') return error.is(BitwardenMessages.alreadyInvited) ? 'already-invited' : null;
  return error.status === 404 ? 'member-gone' : null;
}

/** Remembers what was applied, under the optimistic version read at the start. */
async function saveState(message: WorkerEventMessage, evaluation: Planned, result: Execution, deps: SyncDependencies): Promise<void> {
  const { state, desired, record } = evaluation;
  const now = deps.now();
  const reevaluation = message.subject.kind === 'reevaluate';
  const revoked = desired.access === 'revoked' || desired.access === 'removed';
  await deps.workers.save(
    {
      workerKey: message.workerKey,
      provider: message.provider === 'lifecycle' ? (state?.provider ?? message.provider) : message.provider,
      lastEventAt: reevaluation ? state!.lastEventAt : evaluation.occurredAt,
      lastDeliveryId: reevaluation ? state!.lastDeliveryId : message.deliveryId,
      recordHash: evaluation.recordHash,
      // A removed worker keeps its last known record, marked terminated.
      record: record ?? { ...(state?.record ?? emptyRecord(message.workerKey, desired.email)), status: 'terminated' },
      memberId: desired.access === 'removed' ? null : result.memberId,
      access: desired.access,
      groups: desired.groups,
      revokedAt: revoked && !result.held ? (state?.revokedAt ?? now.toISOString()) : null,
      // Invited now: by this event, or by the bulk import this worker's queued invitation went out in.
      invitedAt: result.executed.some((done) => done.action.kind === 'invite') || (state?.inviteQueuedAt && result.memberId) ? now.toISOString() : (state?.invitedAt ?? null),
      inviteQueuedAt: result.queued ? now.toISOString() : null,
      memberWrittenAt: result.memberWrittenAt !== null ? new Date(result.memberWrittenAt).toISOString() : (state?.memberWrittenAt ?? null),
      heldByGuard: result.held,
      // A queued invitation is looked at again should its import never come (a crash): the sweeper re-evaluates it then.
      reevaluateAt: result.queued ? earliest(desired.reevaluateAt, new Date(now.getTime() + QUEUED_INVITE_CHECK_MS).toISOString()) : desired.reevaluateAt,
      updatedAt: now.toISOString(),
    },
    state?.version ?? null,
  );
}

/** The old worker lets go of the member its rehire took over, and its trail says so: from now on its events never touch it. */
async function releaseTakenOver(oldWorkerKey: string, memberId: string, newWorkerKey: string, audit: AuditTrail, deps: SyncDependencies): Promise<void> {
  await deps.workers.releaseMember(oldWorkerKey, memberId);
  await audit.record('applied', 'link', memberId, `member moved to worker ${newWorkerKey} (a rehire under a new id); worker ${oldWorkerKey} no longer manages it`, oldWorkerKey);
}

type AuditTrail = ReturnType<typeof auditTrail>;

function auditTrail(message: WorkerEventMessage, deps: Pick<SyncDependencies, 'audit' | 'now'>) {
  return {
    record: (outcome: AuditEntry['outcome'], action: string, memberId: string | null, detail: string, workerKey = message.workerKey) =>
      deps.audit.record([{ workerKey, at: deps.now().toISOString(), deliveryId: message.deliveryId, provider: message.provider, eventType: message.eventType, outcome, action, memberId, detail }]),
  };
}

function emptyRecord(externalId: string, workEmail: string | null): WorkerRecord {
  return {
    externalId, workEmail, personalEmail: null, firstName: null, lastName: null, displayName: null, jobTitle: null, department: null, team: null,
    managerWorkEmail: null, location: null, employmentType: 'employee', status: 'terminated', startDate: null, endDate: null, terminationDate: null, attributes: {},
  };
}
