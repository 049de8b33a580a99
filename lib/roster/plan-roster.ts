import type { BitwardenClient } from '../bitwarden/client.js';
import type { Policy, Rule } from '../config/schema.js';
import type { ReadRosterPage, RosterProblem, RosterRecord } from '../sources/roster.js';
import type { WorkerState, WorkerStateStore } from '../store/worker-state.js';
import { evaluate, type Evaluation } from '../sync/evaluate.js';
import { readOrganization, snapshotEvaluation, statesByKey, type OrganizationSnapshot } from '../sync/snapshot.js';
import { MemberStatus } from '../vocabulary/bitwarden.js';
import { rosterMessage } from './sync-roster.js';

/** What applying a roster would do to each worker, and to the members no worker explains. */
export const rosterPlanKinds = ['link', 'invite', 'regroup', 'restore', 'revoke', 'absent', 'member-without-worker', 'worker-without-email', 'collision', 'unchanged'] as const;
export type RosterPlanKind = (typeof rosterPlanKinds)[number];

export interface RosterPlanRow {
  kind: RosterPlanKind;
  workerKey: string | null;
  email: string | null;
  groups: string;
  detail: string;
}

export interface RosterPlan {
  source: string;
  records: number;
  pages: number;
  counts: Record<RosterPlanKind, number>;
  rows: RosterPlanRow[];
  problems: RosterProblem[];
}

export interface RosterPlanDependencies {
  readPage: ReadRosterPage;
  workers: WorkerStateStore;
  bitwarden: Pick<BitwardenClient, 'listMembers' | 'listGroups' | 'getGroupMemberIds'>;
  rules(): Promise<Rule[]>;
  policy: Policy;
  now(): Date;
}

/**
 * The day-one preview of a roster (`lifecycle sync --from … ` without `--apply`): every record
 * through the worker's own `evaluate`, answered from one listing of the organization, classified
 * by what it would do. Nothing is written anywhere.
 */
export async function planRoster(source: string, deps: RosterPlanDependencies, progress: (message: string) => void = () => undefined): Promise<RosterPlan> {
  const { records, pages, problems } = await readWholeRoster(deps.readPage, (count) => progress(`reading the ${source} roster (${count} workers)`));
  const [states, rules] = await Promise.all([deps.workers.all(), deps.rules()]);
  const snapshot = await readOrganization(deps.bitwarden, rules, progress);
  const rows = await classifyRoster(source, records, { snapshot, states, workers: deps.workers, rules, policy: deps.policy, now: deps.now() }, progress);
  for (const member of snapshot.members) {
    if (rows.explained.has(member.id) || member.status === MemberStatus.Revoked) continue;
    rows.rows.push({ kind: 'member-without-worker', workerKey: null, email: member.email, groups: '', detail: `no worker of the roster or the product explains this member (externalId ${member.externalId ?? 'none'})` });
  }
  const counts = Object.fromEntries(rosterPlanKinds.map((kind) => [kind, rows.rows.filter((row) => row.kind === kind).length])) as Record<RosterPlanKind, number>;
  return { source, records: records.length, pages, counts, rows: rows.rows, problems };
}

/**
 * What each roster record would do, through the worker's own `evaluate` answered from a snapshot,
 * and which workers known from this source the roster lacks. Also the members the roster and the
 * product's workers explain, so a caller can tell which none does.
 */
export async function classifyRoster(
  source: string,
  records: readonly RosterRecord[],
  context: { snapshot: OrganizationSnapshot; states: readonly WorkerState[]; workers: WorkerStateStore; rules: readonly Rule[]; policy: Policy; now: Date },
  progress: (message: string) => void = () => undefined,
): Promise<{ rows: RosterPlanRow[]; explained: Set<string> }> {
  const { snapshot, states, now } = context;
  const evaluation = snapshotEvaluation(snapshot, { workers: statesByKey(states, context.workers), rules: context.rules, policy: context.policy, now });
  const rows: RosterPlanRow[] = [];
  const explained = new Set(states.map((state) => state.memberId).filter((id): id is string => id !== null));
  const inRoster = new Set<string>();
  for (const [index, entry] of records.entries()) {
    if (index % 250 === 0) progress(`planning ${index + 1}/${records.length}`);
    inRoster.add(entry.record.externalId);
    const evaluated = await evaluate(rosterMessage(source, entry, { deliveryId: `roster-plan:${entry.record.externalId}`, readAt: now.toISOString() }, now), evaluation);
    if (evaluated.outcome === 'plan' && evaluated.found.member) explained.add(evaluated.found.member.id);
    rows.push(rowOf(entry, evaluated));
  }
  for (const state of states) {
    if (state.provider === source && !inRoster.has(state.workerKey) && state.access === 'member') {
      rows.push({ kind: 'absent', workerKey: state.workerKey, email: state.record.workEmail, groups: '', detail: 'known from this source, missing from its roster: removed by a complete read (policy.onWorkerRemoved)' });
    }
  }
  return { rows, explained };
}

/** Every page of the roster, in order. */
export async function readWholeRoster(readPage: ReadRosterPage, progress: (count: number) => void = () => undefined): Promise<{ records: RosterRecord[]; pages: number; problems: RosterProblem[] }> {
  const records: RosterRecord[] = [];
  const problems: RosterProblem[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await readPage(cursor);
    records.push(...page.records);
    problems.push(...(page.problems ?? []));
    cursor = page.next;
    pages++;
    progress(records.length);
  } while (cursor !== null);
  return { records, pages, problems };
}

function rowOf({ record }: RosterRecord, evaluated: Evaluation): RosterPlanRow {
  const row = (kind: RosterPlanKind, groups: string, detail: string): RosterPlanRow => ({ kind, workerKey: record.externalId, email: record.workEmail, groups, detail });
  if (evaluated.outcome === 'skip') return row('unchanged', '', evaluated.reason);
  const groups = evaluated.desired.groups.join('; ');
  if (evaluated.collision) return row('collision', groups, evaluated.plan.blocked!);
  const kinds = evaluated.plan.actions.map((action) => action.kind);
  // Found by e-mail: the worker is linked to that member from now on (its externalId is set only where empty).
  const kind: RosterPlanKind =
    kinds.includes('revoke') || kinds.includes('remove') ? 'revoke'
    : kinds.includes('invite') ? 'invite'
    : evaluated.found.linkedBy === 'email' ? 'link'
    : kinds.includes('restore') ? 'restore'
    : kinds.includes('set-groups') || kinds.includes('set-type') ? 'regroup'
    : evaluated.plan.blocked ? 'worker-without-email'
    : 'unchanged';
  return row(kind, groups, evaluated.plan.blocked ?? evaluated.desired.reason);
}
