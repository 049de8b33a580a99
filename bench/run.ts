/**
 * `npm run bench`: measures the product on the local stack (DynamoDB Local, fauxqs, the Bitwarden
 * emulator answering in 50 ms) and writes bench/results.json and bench/summary.md.
 * Not part of `npm test`: the machine is shared and timings are noisy, so this reports
 * percentiles and ratios rather than asserting them.
 */
import '../lib/runtime/machine-defaults.js';
import './quiet.js';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemberStatus } from '../lib/vocabulary/bitwarden.js';
import { startLocalRuntime, type LocalRuntime } from '../lib/local/runtime.js';
import type { BatchResult } from '../lib/local/sqs-event-source.js';
import type { WorkerEventMessage } from '../lib/queue/message.js';
import { genericDelivery, worker, type SignedDelivery, type WorkerInput } from '../test/support/generic-events.js';
import { buildHandler, coldImportMs, handlerNames } from './bundles.js';
import { rosterDayOne } from './roster.js';

const SECRET = 'whsec_YmVuY2htYXJrLWJlbmNobWFyay1iZW5jaG1hcmstYmVuY2g=';
const LATENCY_MS = 50;
const config = path.resolve('bench/.build/lifecycle.yaml');

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
};
const summary = (values: number[]) => ({ n: values.length, p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), max: percentile(values, 100) });
const log = (message: string) => console.log(`[bench] ${message}`);

async function start(emulator: Record<string, unknown>): Promise<LocalRuntime> {
  process.env.BITWARDEN_EMULATOR = JSON.stringify(emulator);
  process.env.GENERIC_WEBHOOK_SECRET = SECRET;
  delete process.env.BITWARDEN_API_URL;
  for (const name of Object.keys(process.env)) if (/^(AWS_ENDPOINT_URL_|BITWARDEN_(API|IDENTITY)_URL|BITWARDEN_CLIENT_)/.test(name)) delete process.env[name];
  return startLocalRuntime({ port: 0, configPath: config, prefix: `bench${Date.now()}`, visibilityTimeoutSeconds: 10, workerConcurrency: 2 });
}

/** Posts a delivery; returns its acknowledgement time (ms). */
async function post(runtime: LocalRuntime, delivery: SignedDelivery): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${runtime.url}/webhooks/generic`, { method: 'POST', headers: delivery.headers, body: delivery.body });
  await response.text();
  if (response.status >= 300) throw new Error(`webhook answered ${response.status}`);
  return performance.now() - started;
}

/** Resolves once every listed worker key has been processed successfully once more. */
function processedAll(runtime: LocalRuntime, keys: Iterable<string>, filter: (message: WorkerEventMessage) => boolean = () => true): Promise<void> {
  const waiting = new Set(keys);
  return new Promise((resolve) => {
    const listener = ({ succeeded }: BatchResult) => {
      for (const record of succeeded) {
        const message = JSON.parse(record.body) as WorkerEventMessage;
        if (filter(message)) waiting.delete(message.workerKey);
      }
      if (waiting.size === 0) {
        for (const source of Object.values(runtime.workers)) source.off('batch', listener);
        resolve();
      }
    };
    for (const source of Object.values(runtime.workers)) source.on('batch', listener);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function terminationsAlone() {
  log('scenario 1: terminations alone (emulator at 50 ms, no rate limits)');
  const runtime = await start({ faults: { latencyMs: LATENCY_MS } });
  const handlerMs: number[] = [];
  let messages = 0;
  for (const source of Object.values(runtime.workers)) source.on('batch', (batch) => (handlerMs.push(batch.durationMs), (messages += batch.succeeded.length + batch.failed.length)));
  try {
    const people = Array.from({ length: 150 }, () => worker({ department: 'Engineering' }));
    const acks: number[] = [];
    const hiresStarted = performance.now();
    const hired = processedAll(runtime, people.map((person) => person.externalId));
    for (const person of people) acks.push(await post(runtime, genericDelivery('worker.hired', person, { secret: SECRET, occurredAt: new Date(Date.now() - 60_000).toISOString() })));
    await hired;
    const hireSeconds = (performance.now() - hiresStarted) / 1000;
    const writesAfterHires = runtime.bitwarden!.writes().length;

    // Terminations, 10 a second; latency = webhook posted → revoke answered by Bitwarden.
    const sentAt = new Map<string, number>();
    const terminated = processedAll(runtime, people.map((person) => person.externalId), (message) => message.eventType === 'worker.terminated');
    for (const person of people) {
      const delivery = genericDelivery('worker.terminated', { ...person, status: 'terminated', terminationDate: '2026-01-01' }, { secret: SECRET });
      sentAt.set(person.externalId, Date.now());
      acks.push(await post(runtime, delivery));
      await sleep(100);
    }
    await terminated;
    const members = new Map(runtime.bitwarden!.allMembers().map((member) => [member.id, member.externalId]));
    const latencies = runtime.bitwarden!.writes().filter((exchange) => exchange.route.endsWith('/revoke') && exchange.status === 200).map((exchange) => exchange.at - sentAt.get(members.get(exchange.path.split('/')[3]!)!)!);
    const writesForChanges = runtime.bitwarden!.writes().length;

    // Duplicates: the same changes again under new delivery ids.
    const duplicates = people.slice(0, 100);
    const before = runtime.bitwarden!.writes().length;
    const dupesDone = processedAll(runtime, duplicates.map((person) => person.externalId));
    for (const person of duplicates) await post(runtime, genericDelivery('worker.terminated', { ...person, status: 'terminated', terminationDate: '2026-01-01' }, { secret: SECRET, occurredAt: new Date(Date.now() - 86_400_000).toISOString() }));
    await dupesDone;
    const duplicateWrites = runtime.bitwarden!.writes().length - before;

    const revoked = runtime.bitwarden!.allMembers().filter((member) => member.status === MemberStatus.Revoked).length;
    return {
      revokeLatencyMs: summary(latencies),
      ackLatencyMs: summary(acks),
      hireThroughputPerSecond: Number((people.length / hireSeconds).toFixed(1)),
      bitwardenWritesPerChange: Number((writesForChanges / (people.length * 2)).toFixed(3)),
      writesAfterHires,
      bitwardenWritesPerDuplicate: Number((duplicateWrites / duplicates.length).toFixed(3)),
      revoked,
      workerHandlerMsPerMessage: Number((handlerMs.reduce((sum, ms) => sum + ms, 0) / Math.max(1, messages)).toFixed(1)),
      ackMeanMs: Number((acks.reduce((sum, ms) => sum + ms, 0) / acks.length).toFixed(1)),
    };
  } finally {
    await runtime.stop();
  }
}

async function terminationsDuringBacklog() {
  log('scenario 2: terminations while 1,000 hires drain under the cloud rate limits (60 s window)');
  const runtime = await start({ rateLimits: true, faults: { latencyMs: LATENCY_MS } });
  try {
    const emulator = runtime.bitwarden!;
    const leavers = Array.from({ length: 40 }, (_, index) => worker({ externalId: `LEAVER-${index}`, department: 'Sales' }));
    for (const person of leavers) emulator.addMember({ email: person.workEmail!, externalId: person.externalId, status: MemberStatus.Confirmed });
    // Known workers (linked member ids), as in production: their events read the member by id.
    const linked = processedAll(runtime, leavers.map((person) => person.externalId));
    for (const person of leavers) await post(runtime, genericDelivery('worker.updated', person, { secret: SECRET, occurredAt: new Date(Date.now() - 120_000).toISOString() }));
    await linked;
    emulator.clearRequests();

    const backlogStarted = Date.now();
    const hires = Array.from({ length: 1000 }, () => worker({ department: 'Engineering' }));
    await Promise.all(hires.map((person, index) => sleep(index).then(() => post(runtime, genericDelivery('worker.hired', person, { secret: SECRET })))));
    log(`1,000 hires accepted in ${((Date.now() - backlogStarted) / 1000).toFixed(1)} s; sending terminations`);

    const sentAt = new Map<string, number>();
    const terminated = processedAll(runtime, leavers.map((person) => person.externalId), (message) => message.eventType === 'worker.terminated');
    for (const person of leavers) {
      sentAt.set(person.externalId, Date.now());
      await post(runtime, genericDelivery('worker.terminated', { ...person, status: 'terminated', terminationDate: '2026-01-01' }, { secret: SECRET }));
      await sleep(1000);
    }
    await terminated;
    const windowEnd = backlogStarted + 60_000;
    if (Date.now() < windowEnd) await sleep(windowEnd - Date.now());
    const inWindow = emulator.requests.filter((exchange) => exchange.at <= windowEnd);
    const byId = new Map(emulator.allMembers().map((member) => [member.id, member.externalId]));
    const latencies = emulator.writes().filter((exchange) => exchange.route.endsWith('/revoke') && exchange.status === 200).map((exchange) => exchange.at - sentAt.get(byId.get(exchange.path.split('/')[3]!)!)!);
    const invites = inWindow.filter((exchange) => exchange.method === 'POST' && exchange.route === '/public/members' && exchange.status === 200).length;
    const windowMinutes = (Math.min(Date.now(), windowEnd) - backlogStarted) / 60_000;
    return {
      revokeLatencyMs: summary(latencies),
      invitesInWindow: invites,
      inviteRatePerMinute: Number((invites / windowMinutes).toFixed(1)),
      shareOfInviteRateLimitUsed: Number((invites / windowMinutes / 60).toFixed(3)),
      shareOfCallsAnswered429: Number((inWindow.filter((exchange) => exchange.status === 429).length / Math.max(1, inWindow.length)).toFixed(3)),
      callsInWindow: inWindow.length,
      backlogLeftAfterWindow: hires.length - invites,
    };
  } finally {
    await runtime.stop();
  }
}

async function bundles() {
  log('bundle sizes and cold import times');
  const results: Record<string, { bytes: number; coldImportMs: { p50: number | null; max: number | null } }> = {};
  for (const name of handlerNames) {
    const { file, bytes } = await buildHandler(name, 'bench/.build');
    const times = coldImportMs(file, 5);
    results[name] = { bytes, coldImportMs: { p50: percentile(times, 50), max: percentile(times, 100) } };
  }
  return results;
}

/** AWS list prices (us-east-1, 2026) for what one event costs, from the measured durations and the calls each event makes. */
function costPer10k(workerMs: number, ingestMs: number) {
  const price = { lambdaGbSecond: 0.0000133334, lambdaRequest: 0.2 / 1e6, httpApiRequest: 1.0 / 1e6, sqsFifoRequest: 0.5 / 1e6, dynamoWrite: 0.625 / 1e6, dynamoRead: 0.125 / 1e6 };
  const memoryGb = 0.5;
  // Per event: ingest (idempotency record: 2 writes, 1 read), SQS (send, receive, delete), worker (state and rules-version reads;
  // lease, state, audit and lease-release writes). Worker invocations are counted one per message (the worst case: batches of one).
  const perEvent =
    memoryGb * ((ingestMs + workerMs) / 1000) * price.lambdaGbSecond + 2 * price.lambdaRequest + price.httpApiRequest + 3 * price.sqsFifoRequest + 6 * price.dynamoWrite + 4 * price.dynamoRead;
  return { usd: Number((perEvent * 10_000).toFixed(4)), assumptions: 'us-east-1 list prices; 512 MB arm64; per event 2 invocations, 1 HTTP API call, 3 SQS FIFO calls, 6 DynamoDB writes and 4 reads; Secrets Manager reads are cached; logs and X-Ray not included' };
}

mkdirSync('bench/.build', { recursive: true });
writeFileSync(config, readFileSync('cdk/config/lifecycle.yaml', 'utf8').replace('policy:\n', 'policy:\n  massRevocationGuard: null\n'));
const started = Date.now();
const alone = await terminationsAlone();
const backlog = await terminationsDuringBacklog();
const dayOne = await rosterDayOne(start, config, log);
const bundleResults = await bundles();
const results = {
  when: new Date().toISOString(),
  machine: { cpus: os.cpus().length, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  setup: { bitwardenLatencyMs: LATENCY_MS, workerConcurrencyPerLane: 2 },
  terminationsAlone: alone,
  terminationsDuringBacklog: backlog,
  rosterDayOne: dayOne,
  bundles: bundleResults,
  costPer10kEvents: costPer10k(alone.workerHandlerMsPerMessage, alone.ackMeanMs),
  durationSeconds: Math.round((Date.now() - started) / 1000),
};
writeFileSync('bench/results.json', `${JSON.stringify(results, null, 2)}\n`);

const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(2)} s`);
const md = `# Benchmark

\`npm run bench\` on ${results.machine.cpus} cores, Node ${results.machine.node}, ${results.when}. Local stack: DynamoDB Local, fauxqs,
the Bitwarden emulator answering every call in ${LATENCY_MS} ms; 2 workers per lane. Numbers from a shared, noisy machine:
read them as orders of magnitude. Raw data: \`bench/results.json\`.

## Offboarding latency: webhook received → revoke applied in Bitwarden

| | p50 | p95 | p99 | max | n |
|---|---|---|---|---|---|
| terminations alone | ${seconds(alone.revokeLatencyMs.p50)} | ${seconds(alone.revokeLatencyMs.p95)} | ${seconds(alone.revokeLatencyMs.p99)} | ${seconds(alone.revokeLatencyMs.max)} | ${alone.revokeLatencyMs.n} |
| while 1,000 hires drain under cloud rate limits | ${seconds(backlog.revokeLatencyMs.p50)} | ${seconds(backlog.revokeLatencyMs.p95)} | ${seconds(backlog.revokeLatencyMs.p99)} | ${seconds(backlog.revokeLatencyMs.max)} | ${backlog.revokeLatencyMs.n} |
| Bitwarden Directory Connector | ≥ 5 min sync interval: ~150 s on average, up to 300 s + sync time, and it removes rather than revokes | | | | |
| Entra ID SCIM provisioning | ~40 min cycle: ~20 min on average, up to 40 min | | | | |

At p99, terminations alone are ${backlog.revokeLatencyMs.p99 && alone.revokeLatencyMs.p99 ? `${Math.round(300_000 / alone.revokeLatencyMs.p99)}×` : '-'} faster than one Directory Connector interval (300 s) and ${alone.revokeLatencyMs.p99 ? `${Math.round(2_400_000 / alone.revokeLatencyMs.p99)}×` : '-'} faster than one Entra cycle.
During the backlog the urgent lane keeps revocations at p99 ${seconds(backlog.revokeLatencyMs.p99)}, while invites run at the rate limit.

## Ingest and throughput

| measure | value |
|---|---|
| webhook acknowledgement p50 / p99 | ${alone.ackLatencyMs.p50} ms / ${alone.ackLatencyMs.p99} ms |
| hires applied per second (no rate limits, 2 workers per lane) | ${alone.hireThroughputPerSecond} |
| Bitwarden writes per lifecycle change (minimum 1) | ${alone.bitwardenWritesPerChange} |
| Bitwarden writes per duplicate event (minimum 0) | ${alone.bitwardenWritesPerDuplicate} |
| worker handler time per message | ${alone.workerHandlerMsPerMessage} ms |

## Under Bitwarden's cloud rate limits (60 invites/min per path), first 60 s of a 1,000-hire backlog

| measure | value |
|---|---|
| invites per minute | ${backlog.inviteRatePerMinute} |
| share of the invite rate limit used | ${(backlog.shareOfInviteRateLimitUsed * 100).toFixed(0)} % |
| share of calls answered 429 | ${(backlog.shareOfCallsAnswered429 * 100).toFixed(1)} % of ${backlog.callsInWindow} |
| hires still queued after 60 s | ${backlog.backlogLeftAfterWindow} (they drain at the limit; nothing is lost) |

## Roster: day one, and every hour after (${dayOne.hrWorkers.toLocaleString('en-US')} HR workers, ${dayOne.members.toLocaleString('en-US')} existing members, cloud rate limits)

| measure | value |
|---|---|
| plan (\`lifecycle sync\` without \`--apply\`) | ${dayOne.plan.seconds} s, ${dayOne.plan.bitwardenCalls} Bitwarden calls; ${Object.entries(dayOne.plan.counts).filter(([, count]) => count > 0).map(([kind, count]) => `${kind} ${count}`).join(', ')} |
| apply: messages sent to the lanes | ${dayOne.apply.messagesSent} in ${dayOne.apply.sendSeconds} s |
| apply: applied in the first ${dayOne.apply.watchedSeconds} s | ${dayOne.apply.applied} (${dayOne.apply.linked} linked, ${dayOne.apply.invited} invited), ${dayOne.apply.appliedPerMinute} per minute |
| apply: time to converge | ${dayOne.apply.converged ? `${dayOne.apply.projectedMinutesToConverge} min (measured)` : `about ${dayOne.apply.projectedMinutesToConverge} min (projected: links at the measured rate, then invites at 60 a minute, the one counter all invites share)`} |
| apply: Bitwarden calls, share answered 429 | ${dayOne.apply.bitwardenCalls}, ${(dayOne.apply.shareOfCallsAnswered429 * 100).toFixed(1)} % |
| hourly read of the unchanged company | ${dayOne.hourlyUnchanged.seconds} s, ${dayOne.hourlyUnchanged.messagesSent} messages, ${dayOne.hourlyUnchanged.bitwardenCalls} Bitwarden calls (${dayOne.hourlyUnchanged.bitwardenWrites} writes) |

## Lambda bundles

| handler | bundle | cold import p50 / max |
|---|---|---|
${Object.entries(bundleResults).map(([name, result]) => `| ${name} | ${(result.bytes / 1024).toFixed(0)} KiB | ${result.coldImportMs.p50} ms / ${result.coldImportMs.max} ms |`).join('\n')}

## Cost

About **$${results.costPer10kEvents.usd} per 10,000 events** (${results.costPer10kEvents.assumptions}).
`;
writeFileSync('bench/summary.md', md);
rmSync('bench/.build', { recursive: true, force: true });
log(`done in ${results.durationSeconds} s: bench/results.json, bench/summary.md`);
process.exit(0);
