import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { parseConfig } from '../../lib/config/load.js';
import { WorkerRecordSchema } from '../../lib/vocabulary/worker-record.js';
import { decide } from '../../lib/policy/decide.js';
import { documentClient, sqsClient } from '../../lib/runtime/aws.js';
import { AuditLog } from '../../lib/store/audit-log.js';
import { Tables } from '../../lib/store/tables.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { WorkerStateStore } from '../../lib/store/worker-state.js';
import { genericDelivery, worker, type SignedDelivery, type WorkerInput } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';

/**
 * Chaos on the real local services: 600 workers, ~1,800 deliveries duplicated and reordered,
 * Bitwarden answering 20 % of calls 5xx and 15 % 429 with Retry-After, latency spikes and dropped connections, and the
 * worker process killed mid-batch at random and restarted. Afterwards Bitwarden must equal
 * decide() on each worker's newest record, with one member per worker, every accepted delivery
 * applied or dead-lettered, and every Bitwarden write on the audit trail.
 */
const WORKERS = 600;
const SEED = Number(process.env.CHAOS_SEED ?? 20261123);
const configText = readFileSync('cdk/config/lifecycle.yaml', 'utf8').replace('policy:\n', 'policy:\n  massRevocationGuard: null\n');
const config = parseConfig(configText);

/** A small seeded generator, so a failing run can be replayed with CHAOS_SEED. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every dead letter, removed from the queue: FIFO hands out one message per worker at a time, so listing alone would miss some. */
async function drainDeadLetters(url: string): Promise<string[]> {
  const sqs = sqsClient();
  const bodies: string[] = [];
  for (let empty = 0; empty < 2; ) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!Messages?.length) {
      empty++;
      continue;
    }
    for (const message of Messages) {
      bodies.push(message.Body!);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
    }
  }
  return bodies;
}

const TIMEOUT_SECONDS = 15;
const LEASE_SECONDS = 18;
const VISIBILITY_SECONDS = 20;

let runtime: TestRuntime;
let child: ChildProcess | null = null;
let kills = 0;

function startWorker(): void {
  // Four workers per lane, as the stack allows the normal lane (cdk/lifecycle-stack.ts): a 429's wait holds one, not the lane.
  child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/worker-process.ts'], { env: { ...process.env, POWERTOOLS_LOG_LEVEL: process.env.CHAOS_LOG ? 'ERROR' : 'SILENT', WORKER_CONCURRENCY: '4', WORKER_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS) }, stdio: process.env.CHAOS_LOG ? ['ignore', 'ignore', 'inherit'] : 'ignore' });
}

beforeAll(async () => {
  // Production's times, scaled down so that a killed worker's messages and leases come back sooner, in their
  // order (cdk/lifecycle-stack.ts: timeout 30 s < lease 60 s < visibility 180 s): a worker stays leased longer
  // than an invocation runs, and a crashed worker's lease ends before its messages are visible again.
  runtime = await startTestRuntime(configText, { startWorker: false, visibilityTimeoutSeconds: VISIBILITY_SECONDS });
  process.env.WORKER_LEASE_SECONDS = String(LEASE_SECONDS);
  runtime.bitwarden!.faults = { serverErrorRate: 0.2, rateLimitRate: 0.15, retryAfterSeconds: 1, dropRate: 0.02, latencyMs: [0, 60] };
  startWorker();
}, 60_000);
afterAll(async () => {
  child?.kill('SIGKILL');
  await runtime?.stop();
});

describe('chaos', () => {
  it('converges: Bitwarden equals decide() on every newest record, one member per worker, nothing unaccounted for', async () => {
    const rand = random(SEED);
    const pick = <T,>(items: readonly T[]) => items[Math.floor(rand() * items.length)]!;
    const base = Date.now() - 3_600_000;
    const versions = new Map<string, Array<{ record: WorkerInput; occurredAt: string; type: Parameters<typeof genericDelivery>[0] }>>();
    for (let index = 0; index < WORKERS; index++) {
      const contractor = rand() < 0.15;
      const hire = worker({ department: pick(['Engineering', 'Finance', 'Customer Success', 'Sales']), jobTitle: pick(['Software Engineer', 'SRE', 'Analyst', 'Manager']), employmentType: contractor ? 'contractor' : 'employee' });
      const timeline: Array<{ record: WorkerInput; occurredAt: string; type: Parameters<typeof genericDelivery>[0] }> = [{ record: hire, occurredAt: new Date(base + index).toISOString(), type: 'worker.hired' }];
      let current = hire;
      if (rand() < 0.6) timeline.push({ record: (current = { ...current, department: pick(['Engineering', 'Finance', 'Sales']) }), occurredAt: new Date(base + 600_000 + index).toISOString(), type: 'worker.updated' });
      if (contractor && rand() < 0.6) timeline.push({ record: (current = { ...current, endDate: '2026-01-31' }), occurredAt: new Date(base + 1_200_000 + index).toISOString(), type: 'worker.updated' });
      else if (rand() < 0.3) timeline.push({ record: (current = { ...current, status: 'terminated', terminationDate: '2026-01-31' }), occurredAt: new Date(base + 1_200_000 + index).toISOString(), type: 'worker.terminated' });
      if (current.status === 'terminated' && rand() < 0.25) timeline.push({ record: { ...current, status: 'active', terminationDate: null }, occurredAt: new Date(base + 1_800_000 + index).toISOString(), type: 'worker.hired' });
      versions.set(hire.externalId, timeline);
    }

    // Deliveries: every version, some resent as the same delivery, some as the same change under a new id; shuffled.
    const deliveries: SignedDelivery[] = [];
    const signed = (entry: { record: WorkerInput; occurredAt: string; type: Parameters<typeof genericDelivery>[0] }) => () => genericDelivery(entry.type, entry.record, { secret: TEST_SECRET, occurredAt: entry.occurredAt });
    const makers: Array<() => SignedDelivery> = [];
    for (const timeline of versions.values()) for (const entry of timeline) {
      makers.push(signed(entry));
      if (rand() < 0.1) makers.push(signed(entry));
    }
    makers.sort(() => rand() - 0.5);
    const accepted = new Set<string>();
    let replays = 0;

    const killer = (async () => {
      while (accepted.size < makers.length * 0.9 || (await runtime.queueDepth()) > 0) {
        await sleep(3000 + rand() * 4000);
        child?.kill('SIGKILL');
        kills++;
        await sleep(200);
        startWorker();
        if (kills > 60) break;
      }
    })();

    for (let start = 0; start < makers.length; start += 25) {
      await Promise.all(makers.slice(start, start + 25).map(async (make) => {
        const delivery = make();
        deliveries.push(delivery);
        const response = await runtime.post('generic', delivery);
        expect([200, 202]).toContain(response.status);
        accepted.add(delivery.id);
        // Resend the very same delivery now and then: a provider's retry.
        if (rand() < 0.05) {
          replays++;
          expect((await runtime.post('generic', delivery)).status).toBe(200);
        }
      }));
    }
    // Wait for the queues to drain (bounded): visible and in-flight messages in both lanes.
    for (let quiet = 0, waited = 0; quiet < 3 && waited < 300; waited++) {
      quiet = (await runtime.queueDepth()) === 0 ? quiet + 1 : 0;
      await sleep(1000);
    }
    await killer;
    expect(await runtime.queueDepth()).toBe(0);

    // Every accepted delivery was applied (it is on the audit trail) or sits in a dead-letter queue.
    const audit = new AuditLog(documentClient(), tableName(readEnvironment(), Tables.audit));
    const trails = new Map<string, Awaited<ReturnType<AuditLog['forWorker']>>>();
    for (const key of versions.keys()) trails.set(key, await audit.forWorker(key));
    const audited = new Set([...trails.values()].flat().map((entry) => entry.deliveryId));
    const deadLettered = new Set<string>();
    for (const queue of Object.values(runtime.queues)) for (const body of await drainDeadLetters(queue.deadLetterUrl)) deadLettered.add(JSON.parse(body).deliveryId);
    const unaccounted = [...accepted].filter((id) => !audited.has(id) && !deadLettered.has(id));
    for (const id of unaccounted.slice(0, 3)) {
      const delivery = deliveries.find((candidate) => candidate.id === id)!;
      const body = JSON.parse(delivery.body) as { type: string; timestamp: string; data: { worker: { externalId: string } } };
      const key = body.data.worker.externalId;
      // Enough to diagnose a failure: the delivery, the worker's saved state, and its audit trail.
      const state = await new WorkerStateStore(documentClient(), tableName(readEnvironment(), Tables.workers)).get(key);
      console.log('UNACCOUNTED', id, body.type, body.timestamp, key, JSON.stringify({ lastDeliveryId: state?.lastDeliveryId, lastEventAt: state?.lastEventAt, version: state?.version }), JSON.stringify(trails.get(key)?.map((entry) => [entry.deliveryId, entry.outcome, entry.action, entry.at])));
    }
    expect(unaccounted).toEqual([]);

    // Bitwarden equals decide() on the newest record, for every worker whose deliveries were all applied.
    const now = new Date();
    const members = runtime.bitwarden!.allMembers();
    const deadKeys = new Set(deliveries.filter((delivery) => deadLettered.has(delivery.id)).map((delivery) => JSON.parse(delivery.body).data.worker.externalId as string));
    let checked = 0;
    for (const [key, timeline] of versions) {
      const newest = timeline.at(-1)!.record;
      const mine = members.filter((member) => member.externalId === key || member.email === newest.workEmail);
      expect(mine.length, `worker ${key} has ${mine.length} members`).toBeLessThanOrEqual(1);
      if (deadKeys.has(key)) continue;
      const expected = decide(WorkerRecordSchema.parse(newest), config.rules, config.policy, now);
      // Enough to diagnose a worker that did not converge: what its trail says happened.
      const trail = () => JSON.stringify(trails.get(key)?.map((entry) => [entry.outcome, entry.action, entry.detail?.slice(-120)]));
      if (expected.access === 'member') {
        expect(mine[0]?.status, `worker ${key} should have access: ${trail()}`).not.toBe(MemberStatus.Revoked);
        expect(mine[0]?.groupNames, `worker ${key} groups: ${trail()}`).toEqual(expected.groups);
      } else {
        expect(mine.length === 0 || mine[0]!.status === MemberStatus.Revoked, `worker ${key} should have no access: ${trail()}`).toBe(true);
      }
      checked++;
    }

    // Every write Bitwarden accepted is on the audit trail: `applied`, or `attempted` where it failed or its invocation
    // was killed (announced ahead in the lease, and audited by the next one: lib/sync/apply-worker-event.ts).
    const byMemberId = new Map(members.map((member) => [member.id, member.externalId]));
    const writes = runtime.bitwarden!.writes().filter((exchange) => exchange.status === 200);
    const kindOf = (route: string, method: string) => (route === '/public/members' ? 'invite' : route.endsWith('/group-ids') ? 'set-groups' : route.endsWith('/revoke') ? 'revoke' : route.endsWith('/restore') ? 'restore' : method === 'PUT' ? 'link' : 'other');
    const counted = new Map<string, number>();
    for (const exchange of writes) {
      const key = exchange.route === '/public/members' ? (exchange.body as { externalId: string }).externalId : byMemberId.get(exchange.path.split('/')[3]!)!;
      const slot = `${key}|${kindOf(exchange.route, exchange.method)}`;
      counted.set(slot, (counted.get(slot) ?? 0) + 1);
    }
    for (const [slot, count] of counted) {
      const [key, kind] = slot.split('|') as [string, string];
      const attempts = (trails.get(key) ?? []).filter((entry) => (entry.outcome === 'attempted' || entry.outcome === 'applied') && entry.action === kind).length;
      expect(attempts, `${count} ${kind} write(s) for ${key}, ${attempts} on the audit trail`).toBeGreaterThanOrEqual(count);
    }

    console.log(`chaos (seed ${SEED}): ${versions.size} workers, ${deliveries.length} deliveries, ${replays} replays, ${kills} worker kills, ${writes.length} Bitwarden writes, ${deadLettered.size} dead letters; ${checked} workers checked against decide()`);
    // Why each dead letter is one: its last failed attempt, as the worker audited it (lib/sync/failures.ts).
    const failures = [...trails.values()].flat().filter((entry) => entry.outcome === 'failed' && deadLettered.has(entry.deliveryId));
    const reasons = new Map(failures.map((entry) => [entry.deliveryId, entry.detail]));
    for (const [id, reason] of [...reasons].slice(0, 10)) console.log('DEAD LETTER', id, reason);
    expect(kills).toBeGreaterThanOrEqual(3);
    // Faults, drops and killed workers delay a change, and never lose one to the dead-letter queue.
    expect([...deadLettered]).toEqual([]);
    expect(checked).toBe(WORKERS);
  }, 420_000);
});
