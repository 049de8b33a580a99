import { readFileSync } from 'node:fs';
import { reevaluation } from '../queue/message.js';
import { syncDependencies } from '../runtime/dependencies.js';
import { AuditLog } from '../store/audit-log.js';
import { findSource, registeredSources } from '../sources/registry.js';
import { documentClient } from '../runtime/aws.js';
import { tableName } from '../runtime/env.js';
import { Tables } from '../store/tables.js';
import { evaluate } from '../sync/evaluate.js';
import { memberStatusName } from '../vocabulary/bitwarden.js';
import type { CliContext } from './context.js';
import { table } from './output.js';

/** `status WORKER`: the HR record, desired and actual Bitwarden state, and the pending re-evaluation. */
export async function workerStatus({ out, env, config }: CliContext, workerKey: string): Promise<number> {
  const deps = syncDependencies(env, config());
  const state = await deps.workers.get(workerKey);
  if (!state) {
    out.print(`No worker "${workerKey}" is known. Worker keys are HR ids (a member's externalId).`, { error: 'unknown worker', workerKey });
    return 1;
  }
  const evaluation = await evaluate(reevaluation(workerKey, 'status', deps.now()), deps, { state });
  const desired = evaluation.outcome === 'plan' ? evaluation.desired : null;
  const member = evaluation.outcome === 'plan' ? evaluation.found.member : null;
  const collision = evaluation.outcome === 'plan' ? evaluation.collision : null;
  const groups = await deps.bitwarden.listGroups();
  const actualGroups = (evaluation.outcome === 'plan' ? evaluation.found.groupIds : []).map((id) => groups.find((group) => group.id === id)?.name ?? id).sort();
  const record = state.record;
  out.print(
    [
      `Worker ${workerKey} (${state.provider})`,
      `  HR:        ${record.firstName ?? ''} ${record.lastName ?? ''} <${record.workEmail ?? '-'}>, ${record.jobTitle ?? '-'}, ${record.department ?? '-'}, ${record.employmentType}, ${record.status}`,
      `             start ${record.startDate ?? '-'}, end ${record.endDate ?? '-'}, termination ${record.terminationDate ?? '-'}; last event ${state.lastEventAt}`,
      `  Desired:   ${desired ? `${desired.access}${desired.groups.length ? ` in ${desired.groups.join(', ')}` : ''} (${desired.reason})` : '-'}`,
      `  Bitwarden: ${member ? `${memberStatusName(member.status)} member ${member.id} in ${actualGroups.join(', ') || 'no groups'}` : 'no member'}`,
      ...(collision ? [`  Refused:   ${evaluation.outcome === 'plan' ? evaluation.plan.blocked : ''}`] : []),
      `  Next:      ${state.reevaluateAt ? `re-evaluated at ${state.reevaluateAt}` : 'nothing scheduled'}${state.heldByGuard ? '; revocation held by the guard' : ''}`,
    ].join('\n'),
    { workerKey, state, desired, member, memberGroups: actualGroups, collision },
  );
  return 0;
}

/** `audit WORKER`: every action applied, planned, held or skipped for the worker, oldest first. */
export async function workerAudit({ out, env }: CliContext, workerKey: string): Promise<number> {
  const entries = await new AuditLog(documentClient(), tableName(env, Tables.audit)).forWorker(workerKey);
  out.print(
    entries.length ? table(['at', 'outcome', 'action', 'provider', 'delivery', 'detail'], entries.map((entry) => [entry.at, entry.outcome, entry.action, entry.provider, entry.deliveryId, entry.detail])) : `No audit records for "${workerKey}".`,
    entries,
  );
  return 0;
}

/** `plan --event FILE [--provider P]`: what a delivery would do right now, without doing it (the signature is not checked). */
export async function planEvent({ out, env, config }: CliContext, file: string, sourceName: string): Promise<number> {
  const source = findSource(sourceName);
  if (!source) {
    out.print(`No provider "${sourceName}"; choose one of ${registeredSources().map((candidate) => candidate.name).join(', ')}.`, { error: 'unknown provider' });
    return 2;
  }
  const settings = config().providers[source.name] ?? source.settings.parse({});
  const now = new Date();
  const body = readFileSync(file);
  // Parsed as the ingest would parse it, with the headers the source would send (signed with its local secret: the signature is not the point here).
  const changes = source.parse({ headers: source.sign(body, source.localSecret, now, `plan-${now.getTime()}`), body }, settings);
  const deps = syncDependencies(env, config());
  const previews = [];
  for (const change of changes) {
    const evaluation = await evaluate({ version: 1, provider: source.name, receivedAt: now.toISOString(), ...change }, deps);
    previews.push(
      evaluation.outcome === 'skip'
        ? { workerKey: change.workerKey, eventType: change.eventType, outcome: 'skip' as const, reason: evaluation.reason }
        : { workerKey: change.workerKey, eventType: change.eventType, outcome: 'plan' as const, desired: evaluation.desired, plan: evaluation.plan, member: evaluation.found.member ? { id: evaluation.found.member.id, status: evaluation.found.member.status } : null },
    );
  }
  const lines = previews.map((preview) =>
    preview.outcome === 'skip'
      ? `${preview.workerKey}: nothing (${preview.reason})`
      : `${preview.workerKey}: ${preview.desired.access}${preview.desired.groups.length ? ` in ${preview.desired.groups.join(', ')}` : ''} (${preview.desired.reason})\n  would do: ${preview.plan.actions.map((action) => action.kind).join(', ') || 'nothing'}${preview.plan.blocked ? ` (blocked: ${preview.plan.blocked})` : ''}`,
  );
  out.print(lines.length ? lines.join('\n') : 'This delivery concerns no worker.', previews);
  return 0;
}
