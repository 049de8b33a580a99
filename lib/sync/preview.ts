import type { DesiredState } from '../policy/decide.js';
import { decide } from '../policy/decide.js';
import type { WorkerEventMessage } from '../queue/message.js';
import { hashRecord, removedWorker, resolveRecord, skipReason, type SyncDependencies } from './apply-worker-event.js';
import { findMember } from './find-member.js';
import { plan, type Plan } from './plan.js';

export type Preview = { outcome: 'skip'; reason: string } | { outcome: 'plan'; desired: DesiredState; plan: Plan; member: { id: string; status: number } | null };

/** What the worker would do with `message` right now: the same steps as `applyWorkerEvent`, without writing anything. */
export async function previewWorkerEvent(message: WorkerEventMessage, deps: SyncDependencies): Promise<Preview> {
  const state = await deps.workers.get(message.workerKey);
  const stale = message.subject.kind === 'reevaluate' ? null : skipReason(state, message, null);
  if (stale) return { outcome: 'skip', reason: stale };
  const record = message.subject.kind === 'reevaluate' ? (state?.record ?? null) : await resolveRecord(message, deps);
  const duplicate = message.subject.kind === 'reevaluate' ? null : skipReason(state, message, hashRecord(record));
  if (duplicate) return { outcome: 'skip', reason: duplicate };
  const rules = await deps.rules();
  const desired = record ? decide(record, rules, deps.policy, deps.now(), { revokedAt: state?.revokedAt ?? null }) : removedWorker(state, message, deps.policy);
  if (!desired) return { outcome: 'skip', reason: 'the HR system no longer has this worker; policy.onWorkerRemoved keeps the member' };
  const found = await findMember(deps.bitwarden, message.workerKey, state?.memberId ?? null, desired.email);
  return { outcome: 'plan', desired, plan: plan(message.workerKey, desired, found, await deps.groups.resolve(rules)), member: found.member ? { id: found.member.id, status: found.member.status } : null };
}
