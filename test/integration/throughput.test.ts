import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { callKey } from '../../lib/bitwarden/rate-budget.js';
import type { BatchResult } from '../../lib/local/sqs-event-source.js';
import type { WorkerEventMessage } from '../../lib/queue/message.js';
import { documentClient } from '../../lib/runtime/aws.js';
import { bitwardenClient, eventPublisher, syncDependencies } from '../../lib/runtime/dependencies.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { loadConfigFile } from '../../lib/config/load.js';
import { AuditLog } from '../../lib/store/audit-log.js';
import { PendingInviteStore } from '../../lib/store/pending-invites.js';
import { BULK_FOLLOW_UP, BULK_RESUME, BulkInviter } from '../../lib/sync/bulk-invites.js';
import { BitwardenError } from '../../lib/bitwarden/errors.js';
import { DynamoRateBudget } from '../../lib/store/rate-budget-store.js';
import { Tables } from '../../lib/store/tables.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { genericDelivery, worker, type WorkerInput } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';

/**
 * Bitwarden at the ceiling of its rate limits (docs/design.md, decision 14), through the real
 * handlers on the local services, the emulator playing Bitwarden's cloud where a test says so.
 */
let runtime: TestRuntime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
  delete process.env.BITWARDEN_EMULATOR;
});

async function start(emulator: Record<string, unknown>, options: Parameters<typeof startTestRuntime>[1] = {}, configYaml?: string): Promise<TestRuntime> {
  process.env.BITWARDEN_EMULATOR = JSON.stringify(emulator);
  runtime = await startTestRuntime(configYaml, options);
  return runtime;
}

const bitwarden = () => runtime!.bitwarden!;
const hire = (person: WorkerInput) => runtime!.post('generic', genericDelivery('worker.hired', person, { secret: TEST_SECRET }));
const terminate = (person: WorkerInput) => runtime!.post('generic', genericDelivery('worker.terminated', { ...person, status: 'terminated', terminationDate: '2026-01-01' }, { secret: TEST_SECRET }));
const ofWorker = (workerKey: string) => (message: WorkerEventMessage) => message.workerKey === workerKey;

/** Resolves once `holds()` is true, checked after every batch the workers finish. */
function afterBatchesUntil(holds: () => boolean): Promise<void> {
  const sources = Object.values(runtime!.workers);
  return new Promise((resolve) => {
    const listener = () => {
      if (!holds()) return;
      for (const source of sources) source.off('batch', listener);
      resolve();
    };
    for (const source of sources) source.on('batch', listener);
  });
}

/** Hires `count` engineers at once, and resolves with them once every one is a member with the Engineering group. */
async function hireEngineers(count: number): Promise<WorkerInput[]> {
  const people = Array.from({ length: count }, () => worker({ department: 'Engineering' }));
  const done = afterBatchesUntil(() => people.every((person) => bitwarden().memberByExternalId(person.externalId!)?.groupNames.includes('Engineering')));
  await Promise.all(people.map(hire));
  await done;
  return people;
}

describe('a wave of hires under the cloud rate limits', () => {
  it('is never refused: invites that cannot go one by one soon go in a bulk import, and every hire ends invited with its groups', async () => {
    await start({ rateLimits: true });
    const people = await hireEngineers(40);

    const exchanges = bitwarden().exchanges;
    expect(exchanges.filter((exchange) => exchange.status === 429)).toEqual([]);
    const imports = exchanges.filter((exchange) => exchange.route === '/public/organization/import');
    expect(imports.length).toBeGreaterThan(0);
    const imported = imports.flatMap((exchange) => (exchange.body as { members: Array<{ email: string; externalId: string }> }).members);
    for (const exchange of imports) {
      expect(exchange.status).toBe(200);
      expect(exchange.body).toMatchObject({ groups: [], overwriteExisting: false });
      expect((exchange.body as { members: unknown[] }).members.length).toBeLessThanOrEqual(2_000);
    }
    const single = exchanges.filter((exchange) => exchange.method === 'POST' && exchange.route === '/public/members' && exchange.status === 200);
    // Each hire invited exactly once, one way or the other.
    expect(single.length + imported.length).toBe(people.length);
    expect(new Set([...single.map((exchange) => (exchange.body as { email: string }).email), ...imported.map((member) => member.email)]).size).toBe(people.length);
    for (const person of people) expect(bitwarden().allMembers().filter((member) => member.email === person.workEmail)).toHaveLength(1);
    // The audit says how each was invited.
    const audit = new AuditLog(documentClient(), tableName(readEnvironment(), Tables.audit));
    const trail = await audit.forWorker(imported[0]!.externalId);
    expect(trail.map((entry) => entry.outcome)).toEqual(expect.arrayContaining(['queued', 'applied']));
    expect(trail.find((entry) => entry.action === 'invite' && entry.outcome === 'applied')?.detail).toMatch(/bulk import/);
  });
});

describe('bulk imports', () => {
  it('carry at most 2,000 members each, skip an e-mail already in the organization, and follow every one up', async () => {
    await start({}, { startWorker: false });
    const env = readEnvironment();
    const pending = new PendingInviteStore(documentClient(), tableName(env, Tables.invites));
    const existing = bitwarden().addMember({ email: 'already-here@example.com', status: MemberStatus.Confirmed });
    const invites = Array.from({ length: 2_001 }, (_, index) => ({ workerKey: `BULK-${index}`, email: index === 7 ? 'Already-Here@example.com' : `bulk-${index}@example.com`, queuedAt: new Date().toISOString() }));
    for (let start = 0; start < invites.length; start += 50) await Promise.all(invites.slice(start, start + 50).map((invite) => pending.add(invite)));

    const { bulkInvites } = syncDependencies(env, loadConfigFile('cdk/config/lifecycle.yaml'));
    expect(await bulkInvites!.flush(() => Number.POSITIVE_INFINITY)).toBe(2_001);

    const imports = bitwarden().exchanges.filter((exchange) => exchange.route === '/public/organization/import');
    expect(imports.map((exchange) => [exchange.status, (exchange.body as { members: unknown[] }).members.length])).toEqual([[200, 2_000], [200, 1]]);
    // The e-mail already in the organization was skipped (the member without an externalId adopted the worker's).
    expect(bitwarden().allMembers().filter((member) => member.email === 'already-here@example.com')).toEqual([expect.objectContaining({ id: existing.id, externalId: 'BULK-7' })]);
    expect(bitwarden().allMembers().filter((member) => member.externalId?.startsWith('BULK-'))).toHaveLength(2_001);
    expect(await pending.all()).toEqual([]);
    // Every worker is re-evaluated: its groups follow.
    expect(await runtime!.queueDepth()).toBe(2_001);
  });

  it('left waiting when their importer runs out of time are handed on to another invocation, not to the sweeper', async () => {
    await start({});
    const env = readEnvironment();
    const config = loadConfigFile('cdk/config/lifecycle.yaml');
    const pending = new PendingInviteStore(documentClient(), tableName(env, Tables.invites));
    const invite = (workerKey: string) => ({ workerKey, email: `${workerKey.toLowerCase()}@example.com`, queuedAt: new Date().toISOString() });
    for (const workerKey of ['FIRST-0', 'FIRST-1', 'FIRST-2']) await pending.add(invite(workerKey));
    const client = bitwardenClient(env, config);
    let imports = 0;
    const importer = new BulkInviter({
      pending,
      // While the first import runs, another invocation queues an invitation and, finding the lock taken, leaves it to the importer.
      bitwarden: {
        importMembers: async (members) => {
          if (imports++ === 0) await pending.add(invite('LATE'));
          return client.importMembers(members);
        },
      },
      publisher: eventPublisher(env),
      audit: new AuditLog(documentClient(), tableName(env, Tables.audit)),
      onImportFailed: (error) => {
        throw error;
      },
      now: () => new Date(),
    });
    const lateFollowedUp = new Promise<void>((resolve) =>
      runtime!.workers.events.on('batch', ({ succeeded }: BatchResult) => {
        const messages = succeeded.map((record) => JSON.parse(record.body) as WorkerEventMessage);
        if (messages.some((message) => message.workerKey === 'LATE' && message.eventType === `lifecycle.${BULK_FOLLOW_UP}`)) resolve();
      }),
    );

    // The importer's invocation has time for one import only.
    expect(await importer.flush(() => (imports === 0 ? 60_000 : 5_000))).toBe(3);
    await lateFollowedUp;

    const imported = bitwarden().exchanges.filter((exchange) => exchange.route === '/public/organization/import');
    expect(imported.map((exchange) => (exchange.body as { members: Array<{ externalId: string }> }).members.map((member) => member.externalId))).toEqual([['FIRST-0', 'FIRST-1', 'FIRST-2'], ['LATE']]);
    expect(await pending.all()).toEqual([]);
  });

  it('whose import failed are tried again in seconds by one resume, which backs off while the import still fails, not by the sweeper', async () => {
    await start({});
    const env = readEnvironment();
    const pending = new PendingInviteStore(documentClient(), tableName(env, Tables.invites));
    const audit = new AuditLog(documentClient(), tableName(env, Tables.audit));
    const keys = ['RETRY-0', 'RETRY-1', 'RETRY-2'];
    for (const workerKey of keys) await pending.add({ workerKey, email: `${workerKey.toLowerCase()}@example.com`, queuedAt: new Date().toISOString() });
    const failures: Array<{ error: unknown; then: string }> = [];
    // The invocation that queued them: its import fails, as it would after the client's own retries.
    const importer = new BulkInviter({
      pending,
      bitwarden: { importMembers: async () => Promise.reject(new BitwardenError('POST /public/organization/import', 503, null, true)) },
      publisher: eventPublisher(env),
      audit,
      onImportFailed: (error, then) => void failures.push({ error, then }),
      now: () => new Date(),
    });
    const resumes: WorkerEventMessage[] = [];
    const followedUp = new Set<string>();
    const allFollowedUp = new Promise<void>((resolve) =>
      runtime!.workers.events.on('batch', ({ succeeded, failed }: BatchResult) => {
        for (const record of [...succeeded, ...failed]) {
          const message = JSON.parse(record.body) as WorkerEventMessage;
          if (message.eventType === `lifecycle.${BULK_RESUME}`) resumes.push(message);
        }
        for (const record of succeeded) {
          const message = JSON.parse(record.body) as WorkerEventMessage;
          if (message.eventType === `lifecycle.${BULK_FOLLOW_UP}`) followedUp.add(message.workerKey);
        }
        if (keys.every((key) => followedUp.has(key))) resolve();
      }),
    );
    // The resume's first import fails too (each attempt of the client's four), so the resume itself is retried.
    bitwarden().failNextOn('/public/organization/import', 503, 503, 503, 503);

    expect(await importer.flush(() => 60_000)).toBe(0);
    await allFollowedUp;

    expect(failures).toEqual([{ error: expect.objectContaining({ status: 503 }), then: 'a resume, sent now' }]);
    const imports = bitwarden().exchanges.filter((exchange) => exchange.route === '/public/organization/import');
    expect(imports.map((exchange) => exchange.status)).toEqual([503, 503, 503, 503, 200]);
    expect((imports.at(-1)!.body as { members: Array<{ externalId: string }> }).members.map((member) => member.externalId).sort()).toEqual(keys);
    // One resume, received twice: failed with its import, then back after its backoff, not the sweeper's 5 minutes.
    expect(resumes.map((message) => message.deliveryId)).toEqual([resumes[0]!.deliveryId, resumes[0]!.deliveryId]);
    const trail = await audit.forWorker(resumes[0]!.workerKey);
    expect(trail.filter((entry) => entry.outcome === 'failed').map((entry) => entry.detail)).toEqual([expect.stringMatching(/^attempt 1 of \d+ failed: .*503.*; it is retried$/)]);
    expect(await pending.all()).toEqual([]);
  });

  it('queued by the workers of one batch side by side are imported by one flush, which goes round again for one queued after its last look', async () => {
    await start({});
    const env = readEnvironment();
    const config = loadConfigFile('cdk/config/lifecycle.yaml');
    const invite = (workerKey: string) => ({ workerKey, email: `${workerKey.toLowerCase()}@example.com`, queuedAt: new Date().toISOString() });
    let importer: BulkInviter | undefined;
    let lateJoin: Promise<number> | undefined;
    // The queue, counting the lock attempts; a worker of the batch queues LATE just after the flush's last look, and joins it.
    class Queue extends PendingInviteStore {
      locks = 0;
      looks = 0;
      override lock(holder: string, now: number, ttlMs: number) {
        this.locks++;
        return super.lock(holder, now, ttlMs);
      }
      override async all() {
        const waiting = await super.all();
        // Looks: before the import, the import's own for invitations withdrawn meanwhile, after it (under the lock), after the unlock: the last.
        if (++this.looks === 4) {
          await this.add(invite('LATE'));
          lateJoin = importer!.flush(() => 60_000);
        }
        return waiting;
      }
    }
    const pending = new Queue(documentClient(), tableName(env, Tables.invites));
    for (const workerKey of ['SIDE-0', 'SIDE-1', 'SIDE-2']) await pending.add(invite(workerKey));
    importer = new BulkInviter({
      pending,
      bitwarden: bitwardenClient(env, config),
      publisher: eventPublisher(env),
      audit: new AuditLog(documentClient(), tableName(env, Tables.audit)),
      onImportFailed: (error) => {
        throw error;
      },
      now: () => new Date(),
    });

    // Ten workers of one batch, each having queued, flush at once.
    const flushes = await Promise.all(Array.from({ length: 10 }, () => importer!.flush(() => 60_000)));
    expect(await lateJoin).toBe(4);

    expect(flushes).toEqual(Array.from({ length: 10 }, () => 4));
    // One lock attempt a round, not one per invitation.
    expect(pending.locks).toBe(2);
    const imported = bitwarden().exchanges.filter((exchange) => exchange.route === '/public/organization/import');
    expect(imported.map((exchange) => (exchange.body as { members: Array<{ externalId: string }> }).members.map((member) => member.externalId))).toEqual([['SIDE-0', 'SIDE-1', 'SIDE-2'], ['LATE']]);
    expect(await pending.all()).toEqual([]);
  });

  it('fall back to single invites where the organization cannot use directory syncing', async () => {
    await start({ rateLimits: true, useDirectory: false });
    const people = await hireEngineers(8);
    const imports = bitwarden().exchanges.filter((exchange) => exchange.route === '/public/organization/import');
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.every((exchange) => exchange.status === 400 && (exchange.response as { message: string }).message === 'Organization cannot use directory syncing.')).toBe(true);
    expect(bitwarden().exchanges.filter((exchange) => exchange.method === 'POST' && exchange.route === '/public/members' && exchange.status === 200)).toHaveLength(people.length);
    expect(bitwarden().exchanges.filter((exchange) => exchange.status === 429)).toEqual([]);
  });

  it('are not waited for by an invocation without the time to run one: its invites wait for their slots', async () => {
    // 8 s is less than an import and its follow-ups are given (lib/sync/bulk-invites.ts): a queued invite would wait minutes for the sweeper.
    await start({ rateLimits: true }, { workerTimeoutSeconds: 8 });
    await hireEngineers(8);
    expect(bitwarden().exchanges.filter((exchange) => exchange.route === '/public/organization/import')).toEqual([]);
    expect(bitwarden().exchanges.filter((exchange) => exchange.status === 429)).toEqual([]);
  });

  it('never take an elevated member type: an admin hire waits for its own invite slot', async () => {
    const config = readFileSync('cdk/config/lifecycle.yaml', 'utf8').replace('  memberType: user\n', '  memberType: admin\n');
    expect(config).toContain('memberType: admin');
    await start({ rateLimits: true }, {}, config);
    const people = await hireEngineers(6);
    expect(bitwarden().exchanges.filter((exchange) => exchange.route === '/public/organization/import')).toEqual([]);
    expect(bitwarden().allMembers().filter((member) => people.some((person) => person.externalId === member.externalId)).map((member) => member.type)).toEqual(people.map(() => 1));
    expect(bitwarden().exchanges.filter((exchange) => exchange.status === 429)).toEqual([]);
  });
});

describe('a termination while its hire waits for a bulk import', () => {
  it('wins: the worker is never invited', async () => {
    await start({ rateLimits: true });
    const env = readEnvironment();
    const pending = new PendingInviteStore(documentClient(), tableName(env, Tables.invites));
    // Every invite counter slot spent for two minutes, and another invocation holding the import lock.
    await new DynamoRateBudget(documentClient(), tableName(env, Tables.rateBudget)).exhaustedUntil(callKey('POST', '/public/members'), Date.now() + 120_000);
    expect(await pending.lock('test', Date.now(), 120_000)).toBe(true);

    const leaver = worker({ department: 'Engineering' });
    const hired = runtime!.processed(ofWorker(leaver.externalId!));
    await hire(leaver);
    await hired;
    expect((await pending.all()).map((invite) => invite.workerKey)).toEqual([leaver.externalId]);

    const terminated = runtime!.processed((message) => message.workerKey === leaver.externalId && message.eventType === 'worker.terminated');
    await terminate(leaver);
    await terminated;
    expect(await pending.all()).toEqual([]);

    // The lock is free again: the next queued invitation is imported, without the leaver.
    await pending.unlock('test');
    const next = worker({ department: 'Engineering' });
    const followedUp = runtime!.processed((message) => message.workerKey === next.externalId && message.eventType === 'lifecycle.bulk-invited');
    await hire(next);
    await followedUp;
    const imports = bitwarden().exchanges.filter((exchange) => exchange.route === '/public/organization/import');
    expect(imports.flatMap((exchange) => (exchange.body as { members: Array<{ externalId: string }> }).members.map((member) => member.externalId))).toEqual([next.externalId]);
    expect(bitwarden().allMembers().filter((member) => member.email === leaver.workEmail)).toEqual([]);
    expect(bitwarden().memberByExternalId(next.externalId!)).toMatchObject({ status: MemberStatus.Invited, groupNames: expect.arrayContaining(['Engineering']) });
  });
});

describe('a transient failure', () => {
  it('comes back within seconds, not after the queue’s visibility timeout', async () => {
    await start({}, { visibilityTimeoutSeconds: 180 });
    const person = worker();
    const batches: Array<BatchResult & { at: number }> = [];
    for (const source of Object.values(runtime!.workers)) source.on('batch', (batch) => batches.push({ ...batch, at: Date.now() }));
    // More 5xx answers than the client retries within one receive.
    bitwarden().failNext(500, 500, 500, 500, 500);
    const applied = runtime!.processed(ofWorker(person.externalId!));
    await hire(person);
    await applied;
    const failedAt = batches.find((batch) => batch.failed.length > 0)!.at;
    const succeededAt = batches.find((batch) => batch.succeeded.length > 0)!.at;
    expect(succeededAt - failedAt).toBeLessThan(20_000);
    expect(bitwarden().memberByExternalId(person.externalId!)).toBeDefined();
  });
});

describe('Bitwarden access tokens', () => {
  it('are shared by every container: five ask for one, and after Bitwarden expires it, one more', async () => {
    await start({ rateLimits: true });
    const config = loadConfigFile(readEnvironment().LIFECYCLE_CONFIG);
    const containers = Array.from({ length: 5 }, () => bitwardenClient(readEnvironment(), config));
    // Each round starts as an hour later, or after a key rotation: every token Bitwarden issued is refused.
    // The first container refused asks for a new one and shares it; the others use it.
    for (const round of [1, 2]) {
      bitwarden().expireTokens();
      const before = bitwarden().tokenRequests().length;
      for (const client of containers) await client.listMembers();
      expect(bitwarden().tokenRequests().length - before, `round ${round}`).toBe(1);
    }
    expect(bitwarden().requests.filter((exchange) => exchange.status === 429)).toEqual([]);
  });
});

describe('in a 5,000-member organization', () => {
  it('a hire reads Bitwarden at most once, and a known member’s revocation is one call with no read first', async () => {
    // The guard sizes the organization; without it every call counted here is the event's own.
    const config = readFileSync('cdk/config/lifecycle.yaml', 'utf8').replace('policy:\n', 'policy:\n  massRevocationGuard: null\n');
    await start({}, {}, config);
    for (let index = 0; index < 5_000; index++) bitwarden().addMember({ email: `existing-${index}@example.com`, status: MemberStatus.Confirmed });
    const people = Array.from({ length: 4 }, () => worker({ department: 'Engineering' }));
    let groupListings = 0;
    for (const person of people) {
      bitwarden().clearRequests();
      const applied = runtime!.processed(ofWorker(person.externalId!));
      await hire(person);
      await applied;
      const reads = bitwarden().requests.filter((exchange) => exchange.method === 'GET');
      expect(reads.filter((exchange) => exchange.route.startsWith('/public/members')).length).toBeLessThanOrEqual(1);
      groupListings += reads.filter((exchange) => exchange.route === '/public/groups').length;
      expect(bitwarden().writes().map((exchange) => `${exchange.method} ${exchange.route}`)).toEqual(['POST /public/members']);
    }
    // The group list is cached for a minute by each of the lane's two workers.
    expect(groupListings).toBeLessThanOrEqual(2);
    for (const person of people) {
      bitwarden().clearRequests();
      const revoked = runtime!.processed((message) => message.workerKey === person.externalId && message.eventType === 'worker.terminated');
      await terminate(person);
      await revoked;
      expect(bitwarden().requests.map((exchange) => `${exchange.method} ${exchange.route} ${exchange.status}`)).toEqual(['POST /public/members/{id}/revoke 200']);
    }
  });
});
