import { readFileSync } from 'node:fs';
import { reevaluation } from '../queue/message.js';
import { bitwardenClient, syncDependencies } from '../runtime/dependencies.js';
import { AuditLog } from '../store/audit-log.js';
import { findSource, registeredSources } from '../sources/registry.js';
import { documentClient } from '../runtime/aws.js';
import { tableName } from '../runtime/env.js';
import { Tables } from '../store/tables.js';
import { evaluate } from '../sync/evaluate.js';
import type { CliContext } from './context.js';
import { describeAction, groupNames, instantIn, memberSummary, withGroupNames } from './display.js';
import { ExitCode, UsageError } from './errors.js';

/** No worker under that key: said the same way by every command that takes one (exit 1). */
export function unknownWorker({ out }: CliContext, workerKey: string): number {
  out.error(`no worker "${workerKey}" is known`, 'Worker keys are HR worker ids (the member’s externalId).', { workerKey });
  return ExitCode.failure;
}

/** `status WORKER`: the HR record, desired and actual Bitwarden state, and the pending re-evaluation. */
export async function workerStatus(context: CliContext, workerKey: string): Promise<number> {
  const { out, env, config } = context;
  const deps = syncDependencies(env, config());
  const state = await deps.workers.get(workerKey);
  if (!state) return unknownWorker(context, workerKey);
  const evaluation = await evaluate(reevaluation(workerKey, 'status', deps.now()), deps, { state });
  const planned = evaluation.outcome === 'plan' ? evaluation : null;
  const desired = planned?.desired ?? null;
  const member = planned?.found.member ?? null;
  const collision = planned?.collision ?? null;
  const names = groupNames(await deps.bitwarden.listGroups());
  const actualGroups = (planned?.found.groupIds ?? []).map((id) => names.get(id) ?? id).sort();
  const shown = member ? memberSummary(member, actualGroups) : null;
  const at = instantIn(config().policy.timeZone);
  const record = state.record;
  out.print(
    [
      `Worker ${workerKey} (${state.provider})`,
      `  HR:        ${record.firstName ?? ''} ${record.lastName ?? ''} <${record.workEmail ?? '-'}>, ${record.jobTitle ?? '-'}, ${record.department ?? '-'}, ${record.employmentType}, ${record.status}`,
      `             start ${record.startDate ?? '-'}, end ${record.endDate ?? '-'}, termination ${record.terminationDate ?? '-'}; last event ${at(state.lastEventAt)}`,
      `  Desired:   ${desired ? `${desired.access} as ${desired.memberType}${desired.groups.length ? ` in ${desired.groups.join(', ')}` : ''} (${desired.reason})` : '-'}`,
      `  Bitwarden: ${shown ? `${shown.status} ${shown.type} ${shown.id} in ${actualGroups.join(', ') || 'no groups'}` : 'no member'}`,
      ...(collision ? [`  Refused:   ${planned?.plan.blocked ?? ''}`] : []),
      `  Next:      ${state.reevaluateAt ? `re-evaluated at ${at(state.reevaluateAt)}` : 'nothing scheduled'}${state.heldByGuard ? '; revocation held by the guard' : ''}`,
    ].join('\n'),
    { workerKey, state, desired, member: shown, memberGroups: actualGroups, collision },
  );
  return ExitCode.ok;
}

/** `audit WORKER`: every action applied, planned, held or skipped for the worker, oldest first, with group names and local times. */
export async function workerAudit({ out, env, config }: CliContext, workerKey: string): Promise<number> {
  const at = instantIn(config().policy.timeZone);
  const entries = await new AuditLog(documentClient(), tableName(env, Tables.audit)).forWorker(workerKey);
  // The trail keeps what was sent (group ids); people read names.
  const details = await withGroupNames(entries.map((entry) => entry.detail), () => bitwardenClient(env, config()).listGroups());
  const named = entries.map((entry, index) => ({ ...entry, detail: details.texts[index]! }));
  const note = details.unresolved ? `\n\nGroups are shown by id: Bitwarden did not list them (${details.unresolved}).` : '';
  out.print(
    named.length
      ? `${out.table(['at', 'outcome', 'action', 'provider', 'delivery', 'detail'], named.map((entry) => [at(entry.at), entry.outcome, entry.action, entry.provider, entry.deliveryId, entry.detail]))}${note}`
      : `No audit records for "${workerKey}".`,
    named,
  );
  return ExitCode.ok;
}

/** `plan --event FILE [--provider P]`: what a delivery would do right now, without doing it (the signature is not checked). */
export async function planEvent({ out, env, config }: CliContext, file: string, sourceName: string): Promise<number> {
  const source = findSource(sourceName);
  if (!source) throw new UsageError(`no provider "${sourceName}"`, `Choose one of ${registeredSources().map((candidate) => candidate.name).join(', ')}.`);
  const settings = config().providers[source.name] ?? source.settings.parse({});
  const now = new Date();
  const body = readFileSync(file);
  // Parsed as the ingest would parse it, with the headers the source would send (signed with its local secret: the signature is not the point here).
  const changes = source.parse({ headers: source.sign(body, source.localSecret, now, `plan-${now.getTime()}`), body }, settings);
  const deps = syncDependencies(env, config());
  const names = groupNames(await deps.bitwarden.listGroups());
  const previews = [];
  for (const change of changes) {
    const evaluation = await evaluate({ version: 1, provider: source.name, receivedAt: now.toISOString(), ...change }, deps);
    if (evaluation.outcome === 'skip') {
      previews.push({ workerKey: change.workerKey, eventType: change.eventType, outcome: 'skip' as const, reason: evaluation.reason });
      continue;
    }
    const { desired, plan, found } = evaluation;
    previews.push({
      workerKey: change.workerKey,
      eventType: change.eventType,
      outcome: 'plan' as const,
      desired,
      plan,
      would: plan.actions.map((action) => describeAction(action, names)),
      member: found.member ? memberSummary(found.member, found.groupIds.map((id) => names.get(id) ?? id).sort()) : null,
    });
  }
  const lines = previews.map((preview) =>
    preview.outcome === 'skip'
      ? `${preview.workerKey}: nothing (${preview.reason})`
      : [
          `${preview.workerKey}: ${preview.desired.access} as ${preview.desired.memberType}${preview.desired.groups.length ? ` in ${preview.desired.groups.join(', ')}` : ''} (${preview.desired.reason})`,
          `  Bitwarden now: ${preview.member ? `${preview.member.status} ${preview.member.type} in ${preview.member.groups.join(', ') || 'no groups'}` : 'no member'}`,
          `  would: ${preview.would.join('; ') || 'nothing'}${preview.plan.blocked ? ` (blocked: ${preview.plan.blocked})` : ''}`,
        ].join('\n'),
  );
  out.print(lines.length ? lines.join('\n') : 'This delivery concerns no worker.', previews);
  return ExitCode.ok;
}
