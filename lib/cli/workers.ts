import { readFileSync } from 'node:fs';
import { allProviders } from '../hris/registry.js';
import { decide } from '../policy/decide.js';
import { documentClient } from '../runtime/aws.js';
import { loadConfig, syncDependencies } from '../runtime/dependencies.js';
import { AuditLog } from '../store/audit-log.js';
import { tableName, Tables } from '../store/tables.js';
import { findMember } from '../sync/find-member.js';
import { previewWorkerEvent } from '../sync/preview.js';
import { table, type Output } from './output.js';

const statusNames: Record<number, string> = { [-1]: 'revoked', 0: 'invited', 1: 'accepted', 2: 'confirmed', 3: 'staged' };

/** `status WORKER`: the HR record, desired and actual Bitwarden state, and the pending re-evaluation. */
export async function workerStatus(out: Output, workerKey: string): Promise<number> {
  const deps = syncDependencies(loadConfig());
  const state = await deps.workers.get(workerKey);
  if (!state) {
    out.print(`No worker "${workerKey}" is known. Worker keys are HR ids (a member's externalId).`, { error: 'unknown worker', workerKey });
    return 1;
  }
  const rules = await deps.rules();
  const desired = decide(state.record, rules, deps.policy, deps.now(), { revokedAt: state.revokedAt });
  const found = await findMember(deps.bitwarden, workerKey, state.memberId, desired.email);
  const groups = await deps.bitwarden.listGroups();
  const actualGroups = found.groupIds.map((id) => groups.find((group) => group.id === id)?.name ?? id).sort();
  const record = state.record;
  out.print(
    [
      `Worker ${workerKey} (${state.provider})`,
      `  HR:        ${record.firstName ?? ''} ${record.lastName ?? ''} <${record.workEmail ?? '-'}>, ${record.jobTitle ?? '-'}, ${record.department ?? '-'}, ${record.employmentType}, ${record.status}`,
      `             start ${record.startDate ?? '-'}, end ${record.endDate ?? '-'}, termination ${record.terminationDate ?? '-'}; last event ${state.lastEventAt}`,
      `  Desired:   ${desired.access}${desired.groups.length ? ` in ${desired.groups.join(', ')}` : ''} (${desired.reason})`,
      `  Bitwarden: ${found.member ? `${statusNames[found.member.status]} member ${found.member.id} in ${actualGroups.join(', ') || 'no groups'}` : 'no member'}`,
      `  Next:      ${state.reevaluateAt ? `re-evaluated at ${state.reevaluateAt}` : 'nothing scheduled'}${state.heldByGuard ? '; revocation held by the guard' : ''}`,
    ].join('\n'),
    { workerKey, state, desired, member: found.member, memberGroups: actualGroups },
  );
  return 0;
}

/** `audit WORKER`: every action applied, planned, held or skipped for the worker, oldest first. */
export async function workerAudit(out: Output, workerKey: string): Promise<number> {
  const entries = await new AuditLog(documentClient(), tableName(Tables.audit)).forWorker(workerKey);
  out.print(
    entries.length ? table(['at', 'outcome', 'action', 'provider', 'delivery', 'detail'], entries.map((entry) => [entry.at, entry.outcome, entry.action, entry.provider, entry.deliveryId, entry.detail])) : `No audit records for "${workerKey}".`,
    entries,
  );
  return 0;
}

/** `plan --event FILE [--provider P]`: what a delivery would do right now, without doing it (the signature is not checked). */
export async function planEvent(out: Output, file: string, providerName: string): Promise<number> {
  const config = loadConfig();
  const provider = allProviders.find((candidate) => candidate.name === providerName);
  if (!provider) {
    out.print(`No provider "${providerName}"; choose one of ${allProviders.map((candidate) => candidate.name).join(', ')}.`, { error: 'unknown provider' });
    return 2;
  }
  const now = new Date();
  const id = `plan-${now.getTime()}`;
  const headers = { 'webhook-id': id, 'finch-event-id': id, 'finch-timestamp': String(Math.floor(now.getTime() / 1000)), 'x-bamboohr-signature': id, 'bob-signature': id, 'x-merge-webhook-signature': id };
  const events = provider.parse({ headers, body: readFileSync(file) }, config.providers);
  const deps = syncDependencies(config);
  const previews = [];
  for (const event of events) {
    const preview = await previewWorkerEvent({ version: 1, provider: provider.name, receivedAt: now.toISOString(), ...event }, deps);
    previews.push({ workerKey: event.workerKey, eventType: event.eventType, ...preview });
  }
  const lines = previews.map((preview) =>
    preview.outcome === 'skip'
      ? `${preview.workerKey}: nothing (${preview.reason})`
      : `${preview.workerKey}: ${preview.desired.access}${preview.desired.groups.length ? ` in ${preview.desired.groups.join(', ')}` : ''} (${preview.desired.reason})\n  would do: ${preview.plan.actions.map((action) => action.kind).join(', ') || 'nothing'}${preview.plan.blocked ? ` (blocked: ${preview.plan.blocked})` : ''}`,
  );
  out.print(lines.length ? lines.join('\n') : 'This delivery concerns no worker.', previews);
  return 0;
}
