import { loadConfigFile } from '../lib/config/load.js';
import type { LocalRuntime } from '../lib/local/runtime.js';
import type { BatchResult } from '../lib/local/sqs-event-source.js';
import type { WorkerEventMessage } from '../lib/queue/message.js';
import { planRoster } from '../lib/roster/plan-roster.js';
import { syncRoster } from '../lib/roster/sync-roster.js';
import { rosterSyncDependencies, syncDependencies } from '../lib/runtime/dependencies.js';
import { readEnvironment } from '../lib/runtime/env.js';
import type { RosterPage } from '../lib/sources/roster.js';
import { MemberStatus } from '../lib/vocabulary/bitwarden.js';
import { WorkerRecordSchema, type WorkerRecord } from '../lib/vocabulary/worker-record.js';
import { worker } from '../test/support/generic-events.js';

const HR_WORKERS = 5_000;
const MATCHING_MEMBERS = 2_800;
const MEMBERS_WITHOUT_WORKER = 200;
const PAGE = 500;
/** How long the apply is watched under the cloud rate limits before the rest is projected from the measured rate. */
const APPLY_WINDOW_MS = 420_000;

const departments = ['Engineering', 'Sales', 'Finance', 'Support', 'Marketing'];

/** Pages of `roster`, as a source API serves them. */
const pagesOf = (roster: readonly WorkerRecord[]) => async (cursor: string | null): Promise<RosterPage> => {
  const offset = Number(cursor ?? 0);
  return { records: roster.slice(offset, offset + PAGE).map((record) => ({ record, modifiedAt: null })), next: offset + PAGE < roster.length ? String(offset + PAGE) : null };
};

/** Messages processed from a roster read, counted as the workers report them. */
function countProcessed(runtime: LocalRuntime): { count(): number } {
  let processed = 0;
  for (const source of Object.values(runtime.workers)) {
    source.on('batch', ({ succeeded }: BatchResult) => {
      processed += succeeded.filter((record) => (JSON.parse(record.body) as WorkerEventMessage).deliveryId.startsWith('roster:')).length;
    });
  }
  return { count: () => processed };
}

/**
 * Day one: 5,000 HR workers into an organization of 3,000 members (2,800 with a worker's e-mail,
 * 200 without a worker), under Bitwarden's cloud rate limits; then the hourly read of the same,
 * unchanged company.
 */
export async function rosterDayOne(start: (emulator: Record<string, unknown>) => Promise<LocalRuntime>, configPath: string, log: (message: string) => void) {
  log(`scenario 3: day-one roster sync of ${HR_WORKERS} workers into ${MATCHING_MEMBERS + MEMBERS_WITHOUT_WORKER} members, cloud rate limits`);
  const runtime = await start({ rateLimits: true, faults: { latencyMs: 50 } });
  try {
    const emulator = runtime.bitwarden!;
    const roster = Array.from({ length: HR_WORKERS }, (_, index) =>
      WorkerRecordSchema.parse(worker({ externalId: `HR-${String(index).padStart(5, '0')}`, workEmail: `hr-${index}@example.com`, department: departments[index % departments.length], jobTitle: 'Analyst' })),
    );
    for (const record of roster.slice(0, MATCHING_MEMBERS)) emulator.addMember({ email: record.workEmail!, status: MemberStatus.Confirmed });
    for (let index = 0; index < MEMBERS_WITHOUT_WORKER; index++) emulator.addMember({ email: `by-hand-${index}@example.com`, status: MemberStatus.Confirmed });
    emulator.clearRequests();
    const env = readEnvironment();
    const config = loadConfigFile(configPath);
    const readPage = pagesOf(roster);
    const rosterDeps = () => rosterSyncDependencies(env, config, readPage, () => Number.POSITIVE_INFINITY);

    const planStarted = performance.now();
    const plan = await planRoster('generic', { ...syncDependencies(env, config), readPage });
    const planMs = performance.now() - planStarted;
    const planCalls = emulator.requests.length;
    log(`plan: ${JSON.stringify(plan.counts)} in ${(planMs / 1000).toFixed(1)} s`);

    emulator.clearRequests();
    const processed = countProcessed(runtime);
    const applyStarted = Date.now();
    const first = await syncRoster('generic', rosterDeps(), { lockMs: 15 * 60_000 });
    const sentMs = Date.now() - applyStarted;
    // Converged: every roster message processed, and Bitwarden holds every worker's member with its groups
    // (an invitation queued for a bulk import is done only once its follow-up has set the groups).
    const inBitwarden = () => {
      const members = emulator.allMembers().filter((member) => member.externalId?.startsWith('HR-') && member.groupNames.length > 0);
      return { linked: members.filter((member) => member.status === MemberStatus.Confirmed).length, invited: members.filter((member) => member.status === MemberStatus.Invited).length };
    };
    const done = () => processed.count() >= first.changed && Object.values(inBitwarden()).reduce((sum, count) => sum + count, 0) >= plan.counts.link + plan.counts.invite;
    while (!done() && Date.now() - applyStarted < APPLY_WINDOW_MS) await new Promise((resolve) => setTimeout(resolve, 1_000));
    const watchedMs = Date.now() - applyStarted;
    const applied = processed.count();
    const calls = emulator.requests;
    const { linked, invited } = inBitwarden();
    const converged = done();
    const perMinute = applied / (watchedMs / 60_000);
    log(`apply: ${applied}/${first.changed} applied in ${(watchedMs / 1000).toFixed(0)} s (${linked} linked, ${invited} invited)`);

    // The next hour: the same company, unchanged. The workers are stopped so every Bitwarden call counted is the sync's own.
    for (const source of Object.values(runtime.workers)) await source.stop();
    emulator.clearRequests();
    const hourlyStarted = performance.now();
    const hourly = await syncRoster('generic', rosterDeps(), { lockMs: 15 * 60_000 });
    const hourlyMs = performance.now() - hourlyStarted;

    return {
      hrWorkers: HR_WORKERS,
      members: MATCHING_MEMBERS + MEMBERS_WITHOUT_WORKER,
      plan: { seconds: Number((planMs / 1000).toFixed(1)), counts: plan.counts, bitwardenCalls: planCalls },
      apply: {
        messagesSent: first.changed,
        sendSeconds: Number((sentMs / 1000).toFixed(1)),
        watchedSeconds: Math.round(watchedMs / 1000),
        applied,
        converged,
        linked,
        invited,
        appliedPerMinute: Number(perMinute.toFixed(1)),
        // Links go at the measured rate (a PUT per member, each its own counter); invites at 60 a minute (one counter for every invite).
        projectedMinutesToConverge: converged
          ? Number((watchedMs / 60_000).toFixed(1))
          : Number((watchedMs / 60_000 + Math.max(0, plan.counts.link - linked) / Math.max(perMinute, 1) + Math.max(0, plan.counts.invite - invited) / 60).toFixed(0)),
        bitwardenCalls: calls.length,
        shareOfCallsAnswered429: Number((calls.filter((exchange) => exchange.status === 429).length / Math.max(1, calls.length)).toFixed(3)),
      },
      hourlyUnchanged: { seconds: Number((hourlyMs / 1000).toFixed(1)), messagesSent: hourly.changed, bitwardenCalls: emulator.requests.length, bitwardenWrites: emulator.writes().length },
    };
  } finally {
    await runtime.stop();
  }
}
