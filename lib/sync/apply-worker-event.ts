import { createHash } from 'node:crypto';
import type { BitwardenClient } from '../bitwarden/client.js';
import { BitwardenError, BitwardenMessages } from '../bitwarden/errors.js';
import type { Policy, Rule } from '../config/schema.js';
import type { WorkerRecord } from '../hris/worker-record.js';
import { decide } from '../policy/decide.js';
import { workerKeyOf, type WorkerEventMessage } from '../queue/message.js';
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
  policy: Policy;
  onRevokeUnsupported: RevokeFallback;
  now(): Date;
}

export type ApplyOutcome =
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'applied' | 'planned' | 'blocked'; plan: Plan; executed: ExecutedAction[] };

const hashRecord = (record: WorkerRecord) => createHash('sha256').update(JSON.stringify(record)).digest('hex');

/** Why an event must not be applied: it is older than what was applied, or it is the same change again. */
function skipReason(state: WorkerState | null, message: WorkerEventMessage, recordHash: string): string | null {
  if (!state) return null;
  const incoming = Date.parse(message.occurredAt);
  const applied = Date.parse(state.lastEventAt);
  if (incoming < applied) return `stale: occurred ${message.occurredAt}, older than the applied event of ${state.lastEventAt}`;
  if (incoming === applied && (message.deliveryId === state.lastDeliveryId || recordHash === state.recordHash)) return `duplicate of delivery ${state.lastDeliveryId}`;
  return null;
}

/**
 * Brings one worker's Bitwarden membership in line with the newest HR record
 * (design decision 1): decide what should be, read what is, do the difference, remember it.
 * Running it twice on the same event changes nothing the second time.
 */
export async function applyWorkerEvent(message: WorkerEventMessage, deps: SyncDependencies): Promise<ApplyOutcome> {
  const workerKey = workerKeyOf(message);
  const state = await deps.workers.get(workerKey);
  const recordHash = hashRecord(message.worker);
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

  const skip = skipReason(state, message, recordHash);
  if (skip) {
    await deps.audit.record([audit('skipped', 'none', state?.memberId ?? null, skip)]);
    return { outcome: 'skipped', reason: skip };
  }

  const rules = await deps.rules();
  const desired = decide(message.worker, rules, deps.policy, now);
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
  for (let index = 0; index < planned.actions.length; index++) {
    const action = planned.actions[index]!;
    let done: ExecutedAction;
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
    // Audited one by one, so a crash between two writes still leaves a trail of the first.
    await deps.audit.record([audit('applied', action.kind, done.memberId, `${desired.reason}; ${done.detail}`)]);
  }

  const memberId = executed.find((done) => done.action.kind === 'invite')?.memberId ?? found.member?.id ?? null;
  await deps.workers.save(
    {
      workerKey,
      lastEventAt: message.occurredAt,
      lastDeliveryId: message.deliveryId,
      recordHash,
      record: message.worker,
      memberId,
      access: desired.access,
      groups: desired.groups,
      reevaluateAt: desired.reevaluateAt,
      updatedAt: now.toISOString(),
    },
    state?.version ?? null,
  );
  return { outcome: planned.blocked ? 'blocked' : 'applied', plan: planned, executed };
}

