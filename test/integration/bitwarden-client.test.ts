import { afterEach, describe, expect, it, vi } from 'vitest';
import { BitwardenError, BitwardenMessages, RateBudgetExhaustedError, RevokeUnsupportedError } from '../../lib/bitwarden/errors.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import type { BitwardenEmulator } from '../../lib/local/bitwarden/emulator.js';
import { execute } from '../../lib/sync/execute.js';
import { withinCallScope } from '../../lib/bitwarden/call-scope.js';
import { bitwardenPair } from '../support/bitwarden.js';
import { contractViolations } from '../support/openapi-contract.js';

let emulator: BitwardenEmulator;
afterEach(async () => {
  expect(contractViolations(emulator.exchanges)).toEqual([]);
  await emulator.stop();
});

async function pair(...args: Parameters<typeof bitwardenPair>) {
  const created = await bitwardenPair(...args);
  emulator = created.emulator;
  return created.client;
}

async function failure(promise: Promise<unknown>): Promise<BitwardenError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason);
  expect(error).toBeInstanceOf(BitwardenError);
  return error as BitwardenError;
}

describe('the Bitwarden client: tokens', () => {
  it('makes one token request for a burst of concurrent calls, and reuses it', async () => {
    const client = await pair();
    await Promise.all(Array.from({ length: 20 }, () => client.listMembers()));
    await client.listGroups();
    expect(emulator.tokenRequests()).toHaveLength(1);
    expect(emulator.requests).toHaveLength(21);
  });

  it('gets its token ahead of the first call when warmed up', async () => {
    const client = await pair();
    client.warmUp();
    await vi.waitFor(() => expect(emulator.tokenRequests()).toHaveLength(1));
    await client.listMembers();
    expect(emulator.tokenRequests()).toHaveLength(1);
    expect(emulator.requests.map((exchange) => exchange.route)).toEqual(['/public/members']);
  });

  it('asks for its token again when the call comes after a warm-up that failed', async () => {
    let reads = 0;
    const unlucky = await pair({}, { credentials: async () => {
      if (reads++ === 0) throw new Error('Secrets Manager unavailable');
      return { clientId: emulator.clientId, clientSecret: emulator.clientSecret };
    } });
    unlucky.warmUp();
    await vi.waitFor(() => expect(reads).toBe(1));
    // The warm-up's failure settles in the turns after the read that failed.
    await new Promise((resolve) => setImmediate(resolve));
    await unlucky.listMembers();
    expect(reads).toBe(2);
    expect(emulator.tokenRequests()).toHaveLength(1);
  });

  it('re-authenticates once and retries when the token is refused (401)', async () => {
    const client = await pair();
    await client.listMembers();
    emulator.expireTokens();
    await client.listMembers();
    expect(emulator.tokenRequests()).toHaveLength(2);
    expect(emulator.requests.map((exchange) => exchange.status)).toEqual([200, 401, 200]);
  });

  it('fails with the identity server’s error when the key is wrong, without retrying', async () => {
    const wrong = await pair({}, { credentials: async () => ({ clientId: emulator.clientId, clientSecret: 'wrong-secret-value' }) });
    const error = await failure(wrong.listMembers());
    expect(error).toMatchObject({ operation: 'POST /connect/token', status: 400, bitwardenMessage: 'invalid_client', retryable: false });
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain('wrong-secret-value');
    expect(emulator.tokenRequests()).toHaveLength(1);
    expect(JSON.stringify(emulator.exchanges)).not.toContain('wrong-secret-value');
  });
});

describe('the Bitwarden client: failures of a real server', () => {
  it('waits out a 429 Retry-After of 2 seconds and succeeds', async () => {
    const client = await pair({ faults: { retryAfterSeconds: 2 } });
    emulator.failNext(429);
    expect(await client.listGroups()).toEqual([]);
    const [limited, retried] = emulator.requests;
    expect([limited!.status, retried!.status]).toEqual([429, 200]);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(1_950);
  });

  it('fails at once when Retry-After is longer than the handler can wait, saying when to come back', async () => {
    const client = await pair({ faults: { retryAfterSeconds: 60 } }, { maxWaitMs: 5_000 });
    emulator.failNext(429);
    const error = await client.listGroups().then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(RateBudgetExhaustedError);
    expect((error as RateBudgetExhaustedError).retryAfterMs).toBeGreaterThanOrEqual(60_000);
    expect(emulator.requests).toHaveLength(1);
  });

  it('backs off after a 429 without Retry-After instead of retrying at once', async () => {
    const client = await pair();
    emulator.failNext('429-no-retry-after');
    expect(await client.listGroups()).toEqual([]);
    const [limited, retried] = emulator.requests;
    expect([limited!.status, retried!.status]).toEqual([429, 200]);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(1_000);
  });

  it('retries three 5xx answers with backoff, then succeeds', async () => {
    const client = await pair();
    emulator.failNext(500, 502, 503);
    expect(await client.listMembers()).toEqual([]);
    expect(emulator.requests.map((exchange) => exchange.status)).toEqual([500, 502, 503, 200]);
  });

  it('gives up after a bounded number of retries with a typed error naming the call', async () => {
    const client = await pair({}, { maxRetries: 2 });
    emulator.failNext(500, 500, 500, 500);
    const error = await failure(client.getMemberGroupIds('6f0c2b2e-3f4a-4d56-9c1e-1a2b3c4d5e6f'));
    expect(error).toMatchObject({ operation: 'GET /public/members/{id}/group-ids', status: 500, bitwardenMessage: 'An unhandled server error has occurred.' });
    expect(emulator.requests).toHaveLength(3);
  });

  it('retries a dropped connection', async () => {
    const client = await pair();
    emulator.failNext('drop');
    expect(await client.listGroups()).toEqual([]);
    expect(emulator.requests.map((exchange) => exchange.status)).toEqual([0, 200]);
  });

  it('times out a call that does not answer, and says so', async () => {
    const client = await pair({ faults: { latencyMs: 1_000 } }, { timeoutMs: 100, maxRetries: 1 });
    const error = await failure(client.listGroups());
    expect(error).toMatchObject({ status: 0, retryable: true, cause: 'timed out after 100 ms' });
  });

  it('never outlives its invocation: a request is cut to the time left less 2 s, and not sent without it', async () => {
    const client = await pair({ faults: { latencyMs: 2_500 } }, { maxRetries: 1 });
    const scope = (timeLeftMs: number) => {
      const deadline = Date.now() + timeLeftMs;
      return { priority: 'normal' as const, timeLeft: () => deadline - Date.now() };
    };

    const unsent = await failure(withinCallScope(scope(1_500), () => client.listGroups()));
    expect(unsent).toMatchObject({ status: 0, retryable: true, cause: 'not sent: the invocation has no time left for it' });
    expect(emulator.exchanges).toEqual([]);

    const cut = await failure(withinCallScope(scope(3_000), () => client.listGroups()));
    expect(cut).toMatchObject({ status: 0, retryable: true, cause: expect.stringMatching(/^timed out after \d+ ms$/) });
    // At most the 1 s the invocation could spare, not the client's 10 s; and no retry with the time gone.
    expect(Number(/\d+/.exec(String(cut.cause))![0])).toBeLessThanOrEqual(1_000);
    await vi.waitFor(() => expect(emulator.requests).toHaveLength(1), { timeout: 10_000 });
  });
});

describe('the Bitwarden client: members and groups', () => {
  it('invites with groups and externalId, and reads the member back with Staged understood', async () => {
    const client = await pair({ groups: ['Engineering'] });
    const group = emulator.groupByName('Engineering')!;
    const invited = await client.inviteMember({ email: 'New.Hire@Example.com', type: 2, externalId: 'E-1', groups: [group.id] });
    expect(invited).toMatchObject({ object: 'member', status: MemberStatus.Invited, email: 'new.hire@example.com', externalId: 'E-1', userId: null, name: null, collections: null });
    expect(await client.getMemberGroupIds(invited.id)).toEqual([group.id]);
    const staged = emulator.addMember({ email: 'staged@example.com', status: MemberStatus.Staged });
    expect((await client.getMember(staged.id))!.status).toBe(MemberStatus.Staged);
    expect(await client.getMember('00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('reports a duplicate invite with Bitwarden’s text, whatever the case of the e-mail', async () => {
    const client = await pair();
    emulator.addMember({ email: 'dup@example.com', status: MemberStatus.Revoked });
    const error = await failure(client.inviteMember({ email: 'DUP@example.com', type: 2, externalId: 'E-2', groups: [] }));
    expect(error.is(BitwardenMessages.alreadyInvited)).toBe(true);
    expect(error.status).toBe(400);
  });

  it('never drops collections or externalId on a member PUT', async () => {
    const client = await pair();
    const collection = emulator.organization.addCollection();
    const access = { id: collection, readOnly: false, hidePasswords: true, manage: false };
    const member = emulator.addMember({ email: 'keep@example.com', status: MemberStatus.Confirmed, externalId: 'E-3', collections: [access] });
    await client.updateMember(member.id, { type: 1 });
    expect(emulator.writes()[0]!.body).toEqual({ type: 1, externalId: 'E-3', collections: [access] });
    expect(await client.getMember(member.id)).toMatchObject({ type: 1, externalId: 'E-3', collections: [access] });
  });

  it('treats "Already revoked." and "Already active." as done', async () => {
    const client = await pair();
    const member = emulator.addMember({ email: 'r@example.com', status: MemberStatus.Confirmed });
    expect(await client.revokeMember(member.id)).toBe('revoked');
    expect(await client.revokeMember(member.id)).toBe('already-revoked');
    expect(await client.restoreMember(member.id)).toBe('restored');
    expect(await client.restoreMember(member.id)).toBe('already-active');
    expect((await client.getMember(member.id))!.status).toBe(MemberStatus.Confirmed);
  });

  it('reinvites, removes, and manages groups and their members', async () => {
    const client = await pair();
    const invited = emulator.addMember({ email: 'i@example.com' });
    const other = emulator.addMember({ email: 'o@example.com', status: MemberStatus.Confirmed });
    await client.reinviteMember(invited.id);
    expect((await failure(client.reinviteMember(other.id))).bitwardenMessage).toBe('User invalid.');
    const group = await client.createGroup({ name: 'Auditors', externalId: 'auditors' });
    expect(await client.getGroup(group.id)).toMatchObject({ name: 'Auditors', externalId: 'auditors', collections: [] });
    await client.setGroupMemberIds(group.id, [invited.id, other.id, '00000000-0000-4000-8000-000000000000']);
    expect((await client.getGroupMemberIds(group.id)).sort()).toEqual([invited.id, other.id].sort());
    await client.deleteMember(invited.id);
    expect(await client.getMember(invited.id)).toBeNull();
    expect(await client.getGroupMemberIds(group.id)).toEqual([other.id]);
  });
});

describe('servers older than v2026.2.0 (no revoke endpoint)', () => {
  it('are detected, and the config chooses between failing with a reason and removing the member', async () => {
    const client = await pair({ serverVersion: '2025.12.1' });
    const member = emulator.addMember({ email: 'old@example.com', status: MemberStatus.Confirmed });
    const revoke = { kind: 'revoke' as const, memberId: member.id };

    const error = await execute(revoke, client, 'fail').then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(RevokeUnsupportedError);
    expect((error as Error).message).toMatch(/no revoke endpoint \(added in server v2026\.2\.0\).*onRevokeUnsupported: remove/);
    expect(emulator.allMembers()).toHaveLength(1);

    expect(await execute(revoke, client, 'remove')).toMatchObject({ detail: expect.stringMatching(/^removed/) });
    expect(emulator.allMembers()).toEqual([]);
  });

  it('still answer 404 for a member that does not exist, which is not mistaken for an old server', async () => {
    const client = await pair({ serverVersion: '2025.12.1' });
    const error = await failure(client.revokeMember('00000000-0000-4000-8000-000000000000'));
    expect(error).not.toBeInstanceOf(RevokeUnsupportedError);
    expect(error.status).toBe(404);
  });
});
