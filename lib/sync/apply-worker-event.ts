import { setTimeout as sleep } from 'node:timers/promises';
import type { BitwardenClient } from '../bitwarden/client.js';
import { BitwardenError, BitwardenMessages, RateBudgetExhaustedError, RevokeUnsupportedError } from '../bitwarden/errors.js';
import { currentCallScope, timeLeftInScope, withinCallScope } from '../bitwarden/call-scope.js';
import { BULK_FOLLOW_UP, BULK_RESUME, type BulkInviter } from './bulk-invites.js';
import type { RevocationGuard } from '../lifecycle/guard.js';
import { GUARD_RELEASE } from '../lifecycle/sweep.js';
import { guardHold } from '../notify/messages.js';
import type { Notifier } from '../notify/notifier.js';
import type { WorkerEventMessage } from '../queue/message.js';
import { laneOf } from '../queue/lanes.js';
import type { AuditEntry, AuditLog } from '../store/audit-log.js';
import { StaleStateError, WorkerBusyError, type Lease, type WorkerStateStore, type WriteIntent } from '../store/worker-state.js';
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
 * Brings one worker's Bitwarden membership in line with the newest HR record: read → evaluate →
 * lease → guard → execute → save. Running it twice on the same event changes nothing the second
 * time. A worker whose event makes Bitwarden writes is leased for the duration, so the normal and
 * urgent lanes never act on one worker at once; the lease's write announces those writes (the
 * trail written ahead), and an event that skips, or writes nothing but its state, takes no lease.
 */
export async function applyWorkerEvent(message: WorkerEventMessage, deps: SyncDependencies): Promise<ApplyOutcome> {
  let outcome: ApplyOutcome['outcome'] | undefined;
  try {
    const applied = await applyToWorker(message, deps);
    outcome = applied.outcome;
    return applied;
  } finally {
    // After the worker's lease, since the import and its follow-ups concern other workers: the invitation this event queued, or
    // those handed on by an importer out of time or a flush that failed (lib/sync/bulk-invites.ts), imported whatever became
    // of this worker's event, which may fail and be retried; a resume fails with its import. A dry run imports nothing.
    const resumes = message.eventType === `lifecycle.${BULK_RESUME}` && !deps.policy.dryRun;
    if (outcome === 'queued' || resumes) await deps.bulkInvites?.flush(timeLeftInScope, resumes);
  }
}

async function applyToWorker(message: WorkerEventMessage, deps: SyncDependencies): Promise<ApplyOutcome> {
  const audit = auditTrail(message, deps);
  const taken = await evaluateAndLease(message, deps, audit);
  if ('outcome' in taken) return taken;
  const { evaluation, lease, permit } = taken;
  let saved = false;
  // Writes begun whose outcome is not audited yet: should the event fail, they stay announced for the next lease to audit.
  const unaudited = new Set<WriteIntent['actions'][number]>();
  try {
    if (evaluation.plan.blocked) await audit.record('blocked', 'none', evaluation.found.member?.id ?? null, evaluation.plan.blocked);
    const result = await executePlan(evaluation, message, deps, audit, unaudited, permit);
    await saveState(message, evaluation, result, deps);
    saved = true;
    // A queued invitation that is no longer wanted as queued (a termination, or it was sent) must not be imported.
    if (evaluation.state?.inviteQueuedAt && !result.queued && message.eventType !== `lifecycle.${BULK_FOLLOW_UP}`) await deps.bulkInvites?.withdraw(message.workerKey);
    return { outcome: result.queued ? 'queued' : result.held ? 'held' : result.plan.blocked ? 'blocked' : 'applied', plan: result.plan, executed: result.executed };
  } finally {
    // A save clears the lease in the same write.
    if (!saved) await lease.release([...unaudited]);
  }
}

/**
 * How long, at most, an event waits for the other lane to release a worker: that lane applies one
 * event in well under a second, and the wait must leave most of the worker's 30 s timeout
 * (lib/queue/queues.ts WORKER_TIMEOUT_SECONDS) to the event itself; never more than half the time
 * the invocation has left, since a message whose invocation times out comes back only after the
 * queue's visibility timeout, and one that outlives it is received twice.
 */
const LEASE_WAIT_MS = 10_000;
const LEASE_POLL_MS = 200;

/**
 * Evaluates the event against the worker as read and, if the plan writes to Bitwarden, takes the
 * worker, announcing those writes in the lease. A skip, a dry run, and a plan with nothing to write
 * but the state end here, with no lease. Reads again whenever the worker was held or changed meanwhile.
 */
async function evaluateAndLease(message: WorkerEventMessage, deps: SyncDependencies, audit: AuditTrail): Promise<ApplyOutcome | { evaluation: Planned; lease: Lease; permit?: Permit }> {
  const started = performance.now();
  // The caller's clock, moved on by the time waited, so that a crashed holder's expired lease is taken over.
  const waited = () => Math.round(performance.now() - started);
  const startedAt = deps.now().getTime();
  const maxWaitMs = Math.min(timeLeftInScope() / 2, LEASE_WAIT_MS);
  let refused = 0;
  // What may revoke gets Bitwarden's access token beside its reads: on a cold container, a round trip less before the revoke.
  if (laneOf(message) === 'urgent') deps.bitwarden.warmUp();
  for (;;) {
    // The rules are read beside the state, not after it: a round trip less before every write, for a read a skip does without.
    const [reading, rules] = await Promise.all([deps.workers.read(message.workerKey), deps.rules()]);
    const evaluated = await evaluate(message, deps, { state: reading.state, rules });
    // A skip changes nothing, so it needs no lease: whatever another lane saves meanwhile only makes this event older.
    if (evaluated.outcome === 'skip') {
      await audit.record('skipped', 'none', evaluated.state?.memberId ?? null, evaluated.reason);
      return { outcome: 'skipped', reason: evaluated.reason };
    }
    const evaluation = withTimeNote(evaluated);
    if (deps.policy.dryRun) return dryRun(evaluation, audit);
    // Another lane holds the worker: what it saves may change the plan, so wait for it (reading only the lease) and evaluate again.
    const heldAt = (leasedUntil: number | null) => leasedUntil !== null && leasedUntil >= startedAt + waited();
    if (heldAt(reading.leasedUntil)) {
      do {
        if (waited() + LEASE_POLL_MS > maxWaitMs) throw new WorkerBusyError(message.workerKey);
        await sleep(LEASE_POLL_MS);
      } while (heldAt((await deps.workers.read(message.workerKey)).leasedUntil));
      continue;
    }
    // Nothing but the state to write: the save's own condition stands in for the lease. Not over a stopped
    // holder's announced writes, which only a lease audits.
    if (writesOnlyState(evaluation, message) && !reading.intent) {
      const saved = await saveState(message, evaluation, inStep(evaluation), deps, startedAt + waited());
      if (saved) {
        // Every delivery leaves a trace, including one that found Bitwarden already in step.
        await audit.record('applied', 'none', evaluation.found.member?.id ?? null, alreadyInStep(evaluation));
        return { outcome: 'applied', plan: evaluation.plan, executed: [] };
      }
    } else {
      // Writes left announced by a holder that stopped are audited first; the lease is refused if another event did so and took the worker meanwhile.
      if (reading.intent) await recordInterrupted(reading.intent, message.workerKey, deps);
      // A revocation asks the guard while the lease is written, not after: one round trip less before the revoke.
      const [lease, permit] = await Promise.all([
        deps.workers.lease(message.workerKey, reading, intentOf(evaluation, message, deps), startedAt + waited(), deps.leaseMs),
        evaluation.plan.actions.some(losesAccess) ? deps.guard.permit(message.workerKey, deps.now()) : undefined,
      ]);
      if (lease) return { evaluation, lease, permit };
    }
    // Another lane took the worker, or saved it, since it was read: read again at once, and after that at the poll's pace.
    if (waited() + LEASE_POLL_MS > maxWaitMs) throw new WorkerBusyError(message.workerKey);
    if (refused++ > 0) await sleep(LEASE_POLL_MS);
  }
}

/** Dry run: nothing is sent and no state is saved, so switching dry run off applies the same events for real. */
async function dryRun(evaluation: Planned, audit: AuditTrail): Promise<ApplyOutcome> {
  const { desired } = evaluation;
  if (evaluation.plan.blocked) await audit.record('blocked', 'none', evaluation.found.member?.id ?? null, evaluation.plan.blocked);
  for (const action of evaluation.plan.actions) await audit.record('planned', action.kind, 'memberId' in action ? action.memberId : null, `${desired.reason}; would ${action.kind}`);
  // Every delivery leaves a trace, in a dry run too (`lifecycle doctor` waits for it).
  if (evaluation.plan.actions.length === 0 && !evaluation.plan.blocked) await audit.record('planned', 'none', evaluation.found.member?.id ?? null, alreadyInStep(evaluation));
  return { outcome: 'planned', plan: evaluation.plan, executed: [] };
}

const alreadyInStep = (evaluation: Planned) => `${evaluation.desired.reason}; already in step, nothing to change`;

/** A plan with no Bitwarden write, no hold of the guard to end, and no queued invitation to withdraw: only the state changes. */
function writesOnlyState(evaluation: Planned, message: WorkerEventMessage): boolean {
  const { plan: planned, state } = evaluation;
  return planned.actions.length === 0 && !planned.blocked && !state?.heldByGuard && !state?.inviteQueuedAt && message.eventType !== `lifecycle.${GUARD_RELEASE}`;
}

/** What an event without writes did: nothing, with Bitwarden as it was found. */
function inStep(evaluation: Planned): Execution {
  return { plan: evaluation.plan, executed: [], held: false, queued: false, memberId: evaluation.found.member?.id ?? null, memberWrittenAt: null };
}

/** A write as the lease announces it and the trail names it: its kind and the member it is to (none yet for an invite). */
const announced = (action: Action): WriteIntent['actions'][number] => ({ kind: action.kind, memberId: 'memberId' in action ? action.memberId : null });

/** The writes the lease announces: the plan's, with the reason every entry of the event gives. */
function intentOf(evaluation: Planned, message: WorkerEventMessage, deps: Pick<SyncDependencies, 'now'>): WriteIntent {
  return {
    at: deps.now().toISOString(),
    deliveryId: message.deliveryId,
    provider: message.provider,
    eventType: message.eventType,
    reason: evaluation.desired.reason,
    actions: evaluation.plan.actions.map(announced),
  };
}

/**
 * Writes left announced on a worker nobody holds: its holder stopped (its invocation timed out or
 * was killed) between its lease and its save, or could not audit a write's outcome. Each one not
 * audited for that delivery (applied, attempted, held or queued) is audited `attempted`, at the time
 * it was announced; whether Bitwarden made it, the event now evaluating the worker has read.
 */
async function recordInterrupted(intent: WriteIntent, workerKey: string, deps: Pick<SyncDependencies, 'audit'>): Promise<void> {
  const audited = (await deps.audit.forWorker(workerKey)).filter((entry) => entry.deliveryId === intent.deliveryId && ['applied', 'attempted', 'held', 'queued'].includes(entry.outcome));
  // An invite's member id is Bitwarden's answer, unknown when it was announced.
  const unfinished = intent.actions.filter((action) => !audited.some((entry) => entry.action === action.kind && (action.memberId === null || entry.memberId === action.memberId)));
  if (unfinished.length === 0) return;
  await deps.audit.record(
    unfinished.map((action) => ({
      workerKey,
      at: intent.at,
      deliveryId: intent.deliveryId,
      provider: intent.provider,
      eventType: intent.eventType,
      outcome: 'attempted' as const,
      action: action.kind,
      memberId: action.memberId,
      detail: `${intent.reason}; ${action.kind}; the attempt that began it ended before it recorded whether Bitwarden made it (its invocation stopped, or the audit write failed), and Bitwarden was read again`,
    })),
  );
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

/**
 * Each write is audited after it is made; before it, the lease announced it (evaluateAndLease). A write
 * that fails is audited `attempted` before the error goes on, and so is a write planned again after
 * Bitwarden contradicted what was read (the lease did not announce it). A revocation the guard holds
 * is recorded and skipped, not failed.
 */
async function executePlan(evaluation: Planned, message: WorkerEventMessage, deps: SyncDependencies, audit: AuditTrail, unaudited: Set<WriteIntent['actions'][number]>, firstPermit?: Permit): Promise<Execution> {
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
    const takesAccess = losesAccess(action);
    if (takesAccess) {
      // The permit asked beside the lease serves the plan's first such change; any other asks again.
      const permit = firstPermit ?? (await deps.guard.permit(workerKey, now));
      firstPermit = undefined;
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
    const begun = announced(action);
    const attemptedAt = deps.now();
    const attempted = () => audit.record('attempted', begun.kind, begun.memberId, `${desired.reason}; ${begun.kind}`, { at: attemptedAt });
    // Replanned writes were not announced by the lease: written ahead here, as the lease would have.
    if (replans > 0) await attempted();
    else unaudited.add(begun);
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
        unaudited.delete(begun);
        continue;
      }
      const contradiction = indexContradiction(error, action);
      if (!contradiction || replans >= MAX_REPLANS) {
        if (replans === 0) await attempted();
        unaudited.delete(begun);
        throw error;
      }
      // Bitwarden refused the write: it was not made.
      unaudited.delete(begun);
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
    const endsHold = takesAccess && holdExists;
    await Promise.all([
      audit.record('applied', action.kind, done.memberId, `${desired.reason}; ${done.detail}`),
      takesAccess ? deps.guard.recordRevocation(now) : null,
      endsHold ? deps.guard.drop(workerKey) : null,
    ]);
    unaudited.delete(begun);
    if (endsHold) holdExists = false;
  }
  // A hold no change ended (the revocation is no longer wanted, or was made already) is dropped too.
  if (!held && holdExists) await deps.guard.drop(workerKey);
  // Every delivery leaves a trace, including one that found Bitwarden already in step.
  if (planned.actions.length === 0 && !planned.blocked) await audit.record('applied', 'none', found.member?.id ?? null, alreadyInStep(evaluation));
  const invited = executed.find((done) => done.action.kind === 'invite');
  return { plan: planned, executed, held, queued, memberId: invited?.memberId ?? found.member?.id ?? null, memberWrittenAt };
}

/** A change that takes access away: what the mass-change guard counts and may hold. */
const losesAccess = (action: Action): action is Extract<Action, { kind: 'revoke' | 'set-groups' }> => action.kind === 'revoke' || (action.kind === 'set-groups' && action.removed.length > 0);

type Permit = Awaited<ReturnType<RevocationGuard['permit']>>;

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

/**
 * Remembers what was applied, under the optimistic version read at the start. Without a lease
 * (`unleasedAt`), a save refused because the worker changed or is held says false, to be read again.
 */
async function saveState(message: WorkerEventMessage, evaluation: Planned, result: Execution, deps: SyncDependencies, unleasedAt?: number): Promise<boolean> {
  const { state, desired, record } = evaluation;
  const now = deps.now();
  const reevaluation = message.subject.kind === 'reevaluate';
  const revoked = desired.access === 'revoked' || desired.access === 'removed';
  const saving = deps.workers.save(
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
    unleasedAt,
  );
  try {
    await saving;
    return true;
  } catch (error) {
    if (unleasedAt !== undefined && error instanceof StaleStateError) return false;
    throw error;
  }
}

/** The old worker lets go of the member its rehire took over, and its trail says so: from now on its events never touch it. */
async function releaseTakenOver(oldWorkerKey: string, memberId: string, newWorkerKey: string, audit: AuditTrail, deps: SyncDependencies): Promise<void> {
  await deps.workers.releaseMember(oldWorkerKey, memberId);
  await audit.record('applied', 'link', memberId, `member moved to worker ${newWorkerKey} (a rehire under a new id); worker ${oldWorkerKey} no longer manages it`, { workerKey: oldWorkerKey });
}

type AuditTrail = ReturnType<typeof auditTrail>;

function auditTrail(message: WorkerEventMessage, deps: Pick<SyncDependencies, 'audit' | 'now'>) {
  return {
    /** Of this event's worker, now, unless said otherwise. */
    record: (outcome: AuditEntry['outcome'], action: string, memberId: string | null, detail: string, { workerKey = message.workerKey, at = deps.now() }: { workerKey?: string; at?: Date } = {}) =>
      deps.audit.record([{ workerKey, at: at.toISOString(), deliveryId: message.deliveryId, provider: message.provider, eventType: message.eventType, outcome, action, memberId, detail }]),
  };
}

function emptyRecord(externalId: string, workEmail: string | null): WorkerRecord {
  return {
    externalId, workEmail, personalEmail: null, firstName: null, lastName: null, displayName: null, jobTitle: null, department: null, team: null,
    managerWorkEmail: null, location: null, employmentType: 'employee', status: 'terminated', startDate: null, endDate: null, terminationDate: null, attributes: {},
  };
}
