import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BitwardenClient } from '../../lib/bitwarden/client.js';
import type { BitwardenEmulator } from '../../lib/local/bitwarden/emulator.js';
import { MemberIndex } from '../../lib/sync/member-index.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { bitwardenPair } from '../support/bitwarden.js';

/**
 * Each container keeps its own member index (lib/sync/member-index.ts), so another container's writes
 * are invisible to it until it lists again. A revocation must never act on what an older listing shows.
 */
let emulator: BitwardenEmulator;
let client: BitwardenClient;
let listings = 0;

beforeAll(async () => {
  ({ emulator, client } = await bitwardenPair());
  const list = client.listMembers.bind(client);
  client.listMembers = async () => {
    listings++;
    return list();
  };
});
afterAll(() => emulator?.stop());

const revocation = { groups: false, verify: true };

describe('a revocation in a container whose listing is older than another container’s writes', () => {
  it('does not find, under the old worker id, a member a rehire has taken over since', async () => {
    const member = emulator.addMember({ email: 'moved@example.com', externalId: 'leaver', status: MemberStatus.Revoked });
    const index = new MemberIndex(client);
    await index.listMembers();
    // Another container restores the member for the rehire and moves its externalId.
    await client.restoreMember(member.id);
    await client.updateMember(member.id, { externalId: 'rehire' });

    const found = await index.find('leaver', null, null, revocation);
    expect(found.member).toBeNull();
    expect(listings).toBe(2);
  });

  it('revokes a member it linked even when its listing shows it revoked: what the product last wrote decides, with no read', async () => {
    const member = emulator.addMember({ email: 'restored@example.com', externalId: 'returner', status: MemberStatus.Revoked });
    const index = new MemberIndex(client);
    await index.listMembers();
    await client.restoreMember(member.id);
    const before = listings;

    const found = await index.find('returner', member.id, member.email, { ...revocation, lastWritten: { email: member.email, revoked: false } });
    expect(found).toMatchObject({ linkedBy: 'member-id', member: { id: member.id } });
    expect(found.member!.status).not.toBe(MemberStatus.Revoked);
    expect(listings).toBe(before);
  });

  it('shares one listing between concurrent lookups only when it was asked for late enough', async () => {
    let now = 1_000;
    const index = new MemberIndex(client, {}, () => now);
    const before = listings;
    const [first, alongside] = [index.listMembers(), index.listMembers()];
    now += 1;
    const member = emulator.addMember({ email: 'late@example.com', externalId: 'late' });
    const found = await index.find('late', null, null, revocation);
    await Promise.all([first, alongside]);
    expect(found.member?.id).toBe(member.id);
    expect(listings - before).toBe(2);
  });
});

describe('a membership in a container whose listing is older than the worker’s last saved state', () => {
  it('reads again: a member the other lane revoked since is seen revoked, so the rehire restores it', async () => {
    const member = emulator.addMember({ email: 'back@example.com', externalId: 'back', status: MemberStatus.Confirmed });
    const index = new MemberIndex(client);
    await index.listMembers();
    // The urgent lane (another container) revokes the member and saves the worker's state after it.
    await client.revokeMember(member.id);
    const writtenAt = Date.now();

    const found = await index.find('back', member.id, member.email, { groups: true, writtenAt });
    expect(found.member?.status).toBe(MemberStatus.Revoked);
  });

  it('trusts its own writes: a member it wrote after its listing needs no read', async () => {
    const member = emulator.addMember({ email: 'own@example.com', externalId: 'own', status: MemberStatus.Confirmed });
    const index = new MemberIndex(client);
    await index.listMembers();
    await client.revokeMember(member.id);
    // The worker's state records the same instant the index was told of (lib/sync/apply-worker-event.ts).
    const writtenAt = Date.now() + 1;
    index.applied({ action: { kind: 'revoke', memberId: member.id }, memberId: member.id, detail: 'revoked' }, writtenAt);
    const before = listings;

    const found = await index.find('own', member.id, member.email, { groups: false, writtenAt });
    expect(found.member?.status).toBe(MemberStatus.Revoked);
    expect(listings).toBe(before);
  });
});
