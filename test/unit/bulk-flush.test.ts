import { describe, expect, it } from 'vitest';
import type { WorkerEventMessage } from '../../lib/queue/message.js';
import type { PendingInvite } from '../../lib/store/pending-invites.js';
import { BitwardenError } from '../../lib/bitwarden/errors.js';
import { BULK_RESUME, BulkInviter } from '../../lib/sync/bulk-invites.js';

/**
 * How one invocation's flushes share their rounds (lib/sync/bulk-invites.ts), over an in-memory
 * queue of invitations with the store's contract (lib/store/pending-invites.ts): the lock is
 * refused while another holder's lasts, and each call takes a turn of the event loop as DynamoDB's does.
 */
function inviteQueue() {
  const waiting = new Map<string, PendingInvite>();
  let holder: { id: string; until: number } | null = null;
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  const queue = {
    locks: 0,
    failNextLook: false,
    async add(invite: PendingInvite) {
      await turn();
      waiting.set(invite.workerKey, invite);
    },
    async cancel(workerKey: string) {
      await turn();
      waiting.delete(workerKey);
    },
    async all() {
      await turn();
      if (queue.failNextLook) {
        queue.failNextLook = false;
        throw new Error('ProvisionedThroughputExceededException');
      }
      return [...waiting.values()];
    },
    async remove(workerKeys: readonly string[]) {
      await turn();
      for (const key of workerKeys) waiting.delete(key);
    },
    async lock(id: string, now: number, ttlMs: number) {
      queue.locks++;
      await turn();
      if (holder && holder.until >= now) return false;
      holder = { id, until: now + ttlMs };
      return true;
    },
    async unlock(id: string) {
      await turn();
      if (holder?.id === id) holder = null;
    },
  };
  return queue;
}

/** Bitwarden's import, which fails `failing.imports` times (as a 503 after the client's retries) before it answers; `sendFails`: the queue of worker events refuses every message. */
function importer(queue: ReturnType<typeof inviteQueue>, sendFails = false) {
  const imports: string[][] = [];
  const published: WorkerEventMessage[] = [];
  const failures: Array<{ error: unknown; then: string }> = [];
  const failing = { imports: 0 };
  const inviter = new BulkInviter({
    pending: queue,
    bitwarden: {
      importMembers: async (members) => {
        if (failing.imports > 0) {
          failing.imports--;
          throw new BitwardenError('POST /public/organization/import', 503, null, true);
        }
        imports.push(members.map((member) => member.externalId!));
        return undefined as never;
      },
    },
    publisher: { publish: async (messages) => (sendFails ? Promise.reject(new Error('SQS unavailable')) : void published.push(...messages)) },
    audit: { record: async () => undefined },
    onImportFailed: (error, then) => void failures.push({ error, then }),
    now: () => new Date(),
  });
  return { inviter, imports, published, failures, failing };
}

const invite = (workerKey: string): PendingInvite => ({ workerKey, email: `${workerKey.toLowerCase()}@example.com`, queuedAt: '2026-11-27T12:00:00.000Z' });
const plenty = () => 60_000;

describe('the flushes of one invocation', () => {
  it('share one round for the workers of a batch that queued side by side: one lock attempt, one import', async () => {
    const queue = inviteQueue();
    const { inviter, imports } = importer(queue);
    for (const key of ['A', 'B', 'C']) await queue.add(invite(key));

    const flushes = await Promise.all(Array.from({ length: 10 }, () => inviter.flush(plenty)));

    expect(flushes).toEqual(Array.from({ length: 10 }, () => 3));
    expect(imports).toEqual([['A', 'B', 'C']]);
    expect(queue.locks).toBe(1);
    expect(await queue.all()).toEqual([]);
  });

  it('leave what the batch queued to another invocation that holds the lock, trying it again only for calls that joined during the attempt', async () => {
    const queue = inviteQueue();
    const { inviter, imports } = importer(queue);
    await queue.add(invite('A'));
    // Another invocation is importing, for as long as this test runs.
    expect(await queue.lock('another invocation', Date.now(), 600_000)).toBe(true);
    queue.locks = 0;

    const flushes = await Promise.all(Array.from({ length: 10 }, () => inviter.flush(plenty)));

    expect(flushes).toEqual(Array.from({ length: 10 }, () => 0));
    // The first call's attempt, then one for the nine that joined while it was on its way.
    expect(queue.locks).toBe(2);
    expect(imports).toEqual([]);
    expect(await queue.all()).toEqual([invite('A')]);
  });

  it('go round again after a round that failed when a worker joined it, and the joiners see the import', async () => {
    const queue = inviteQueue();
    const { inviter, imports } = importer(queue);
    await queue.add(invite('A'));
    queue.failNextLook = true;

    const first = inviter.flush(plenty);
    await queue.add(invite('B'));
    const joined = inviter.flush(plenty);

    expect(await Promise.all([first, joined])).toEqual([2, 2]);
    expect(imports).toEqual([['A', 'B']]);
    expect(await queue.all()).toEqual([]);
  });

  it('hand a failed import on in one resume, and their callers, whose invitations stay queued, succeed', async () => {
    const queue = inviteQueue();
    const { inviter, imports, published, failures, failing } = importer(queue);
    for (const key of ['A', 'B']) await queue.add(invite(key));
    // The calls that joined the first round get a second at once (above), which fails too.
    failing.imports = 2;

    const flushes = await Promise.all(Array.from({ length: 10 }, () => inviter.flush(plenty)));

    expect(flushes).toEqual(Array.from({ length: 10 }, () => 0));
    expect(failures).toEqual([
      { error: expect.objectContaining({ status: 503 }), then: 'another round' },
      { error: expect.objectContaining({ status: 503 }), then: 'a resume, sent now' },
    ]);
    expect(published).toEqual([expect.objectContaining({ workerKey: 'A', eventType: `lifecycle.${BULK_RESUME}`, subject: { kind: 'reevaluate', urgent: false } })]);
    expect(await queue.all()).toEqual([invite('A'), invite('B')]);
    // The resume's handler flushes again, and the next flush starts a round of its own.
    expect(await inviter.flush(plenty, true)).toBe(2);
    expect(imports).toEqual([['A', 'B']]);
  });

  it('fail a resume with its import, sending no other: its message tries again after its backoff, and the other callers succeed', async () => {
    const queue = inviteQueue();
    const { inviter, imports, published, failures, failing } = importer(queue);
    await queue.add(invite('A'));
    failing.imports = 2;

    const [resume, ...others] = await Promise.allSettled([inviter.flush(plenty, true), inviter.flush(plenty), inviter.flush(plenty)]);

    expect(resume).toEqual({ status: 'rejected', reason: expect.objectContaining({ status: 503 }) });
    expect(others).toEqual([{ status: 'fulfilled', value: 0 }, { status: 'fulfilled', value: 0 }]);
    expect(failures.map((failure) => failure.then)).toEqual(['another round', 'the resume, after its backoff']);
    expect(published).toEqual([]);
    expect(await queue.all()).toEqual([invite('A')]);
    expect(await inviter.flush(plenty, true)).toBe(1);
    expect(imports).toEqual([['A']]);
  });

  it('fail a resume that has no time left for an import while invitations wait, sending no other', async () => {
    const queue = inviteQueue();
    const { inviter, imports, published } = importer(queue);
    await queue.add(invite('A'));

    await expect(inviter.flush(() => 8_000, true)).rejects.toThrow('1 queued invitations not imported: this invocation has less than 10 s left');
    expect(published).toEqual([]);
    expect(imports).toEqual([]);
    // With nothing waiting, a resume out of time has nothing to fail for.
    await queue.cancel('A');
    expect(await inviter.flush(() => 8_000, true)).toBe(0);
  });

  it('leave what waits to the sweeper when the resume cannot be sent, and their callers, whose invitations are queued, succeed', async () => {
    const queue = inviteQueue();
    const { inviter, failures, failing } = importer(queue, true);
    await queue.add(invite('A'));
    failing.imports = 1;

    expect(await inviter.flush(plenty)).toBe(0);
    expect(failures).toEqual([
      { error: expect.objectContaining({ message: 'SQS unavailable' }), then: 'the sweeper, within 5 minutes' },
      { error: expect.objectContaining({ status: 503 }), then: 'the sweeper, within 5 minutes' },
    ]);
    expect(await queue.all()).toEqual([invite('A')]);
  });

  it('fail a resume whose look at the queue failed, as for a failed import', async () => {
    const queue = inviteQueue();
    const { inviter, imports, published } = importer(queue);
    await queue.add(invite('A'));
    queue.failNextLook = true;

    await expect(inviter.flush(plenty, true)).rejects.toThrow('ProvisionedThroughputExceededException');
    expect(imports).toEqual([]);
    expect(published).toEqual([]);
    expect(await inviter.flush(plenty, true)).toBe(1);
    expect(imports).toEqual([['A']]);
  });

  it('hand what waits on in one message when the invocation has no time left for an import', async () => {
    const queue = inviteQueue();
    const { inviter, imports, published } = importer(queue);
    await queue.add(invite('A'));

    expect(await inviter.flush(() => 5_000)).toBe(0);
    expect(imports).toEqual([]);
    expect(published).toEqual([expect.objectContaining({ workerKey: 'A', eventType: `lifecycle.${BULK_RESUME}` })]);
  });

  it('leave what waits to the sweeper when the invocation has no time left and the message cannot be sent, and their callers succeed', async () => {
    const queue = inviteQueue();
    const { inviter, imports, failures } = importer(queue, true);
    await queue.add(invite('A'));

    expect(await inviter.flush(() => 5_000)).toBe(0);
    expect(imports).toEqual([]);
    expect(failures.map(({ then }) => then)).toEqual(['the sweeper, within 5 minutes', 'the sweeper, within 5 minutes']);
    expect(await queue.all()).toEqual([invite('A')]);
  });
});
