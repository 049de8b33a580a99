import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { syncRoster } from '../../lib/roster/sync-roster.js';
import { documentClient } from '../../lib/runtime/aws.js';
import { eventPublisher } from '../../lib/runtime/dependencies.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { EMULATED_TENANT } from '../../lib/sources/entradirectory/emulator.js';
import { findSource } from '../../lib/sources/registry.js';
import type { FetchContext, SourceSettings } from '../../lib/sources/source.js';
import { RosterStore } from '../../lib/store/roster-store.js';
import { Tables } from '../../lib/store/tables.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/**
 * Entra ID's roster read by Microsoft Graph's delta query (docs/design.md, decision 11): the first
 * read is a full delta round, and each later one starts at the deltaLink the last complete read
 * kept, so Graph answers only what changed; a user Graph reports `@removed` is absent, under the
 * same guard as any roster. Pages are 2 users.
 */
const config = `
providers:
  entradirectory: { tenantId: ${EMULATED_TENANT}, pageSize: 2 }
policy:
  massRevocationGuard: { maxShareOfOrganization: null }
rules:
  - id: everyone
    groups: [All Staff]
  - id: engineering
    match: { department: Engineering }
    groups: [Engineering]
`;

const SOURCE = 'entradirectory';
let runtime: TestRuntime;
let store: RosterStore;

beforeAll(async () => {
  runtime = await startTestRuntime(config);
  store = new RosterStore(documentClient(), tableName(readEnvironment(), Tables.roster));
});
afterAll(async () => {
  await runtime?.stop();
});

const id = (n: number) => `0c1d2e3f-4a5b-4c6d-8e7f-${n.toString(16).padStart(12, '0')}`;
const user = (n: number, department = 'Sales') => ({
  accountEnabled: true,
  mail: `user${n}@corp.example`,
  userPrincipalName: `user${n}@corp.example`,
  givenName: `User${n}`,
  surname: 'Delta',
  displayName: `User${n} Delta`,
  jobTitle: 'Analyst',
  department,
});
const users = () => runtime.sourceApis.records(SOURCE);

function context(): FetchContext<SourceSettings> {
  const url = runtime.sourceApis.url(SOURCE);
  return { apiUrl: url, credentials: runtime.sourceApis.credentials(SOURCE), settings: { ...parseConfig(config).providers[SOURCE]!, loginUrl: url } as SourceSettings };
}

/** One roster step, as the scheduled Lambda runs it. */
function rosterStep(maxShrink = 0.25) {
  return syncRoster(SOURCE, {
    store,
    publisher: eventPublisher(readEnvironment()),
    readPage: (cursor) => findSource(SOURCE)!.readRoster!(context(), cursor),
    maxShrink,
    now: () => new Date(),
    timeLeft: () => Number.POSITIVE_INFINITY,
  }, { lockMs: 60_000 });
}

const member = (n: number) => runtime.bitwarden!.memberByExternalId(id(n));
const writes = () => runtime.bitwarden!.writes().map((exchange) => `${exchange.method} ${exchange.route}`);

describe('the Entra ID roster, by delta query', () => {
  it('reads everyone once, then only what changed: a move is one Bitwarden write, a deletion one revocation', async () => {
    for (const n of [1, 2, 3, 4]) users().set(id(n), user(n));
    const firstRead = runtime.processedCount(4, (message) => message.provider === SOURCE);
    expect(await rosterStep()).toMatchObject({ complete: true, pages: 2, records: 4, changed: 4, problems: [] });
    await firstRead;
    expect((await store.lastComplete(SOURCE))?.resume).toMatch(/\/v1\.0\/users\/delta\?\$deltatoken=/);

    // Nothing changed: Graph answers an empty page, and nothing is sent.
    runtime.bitwarden!.clearRequests();
    expect(await rosterStep()).toMatchObject({ complete: true, pages: 1, records: 0, changed: 0, absent: [] });
    expect(await runtime.queueDepth()).toBe(0);

    users().set(id(2), user(2, 'Engineering'));
    const moved = runtime.processed((message) => message.workerKey === id(2));
    expect(await rosterStep()).toMatchObject({ complete: true, records: 1, changed: 1, absent: [] });
    await moved;
    expect(member(2)?.groupNames).toEqual(['All Staff', 'Engineering']);
    expect(writes()).toEqual(['PUT /public/members/{id}/group-ids']);

    runtime.bitwarden!.clearRequests();
    users().delete(id(3));
    const deleted = runtime.processed((message) => message.workerKey === id(3));
    expect(await rosterStep()).toMatchObject({ complete: true, records: 0, changed: 0, absent: [id(3)], removed: 1, removalRefused: null });
    await deleted;
    expect(member(3)?.status).toBe(MemberStatus.Revoked);
    expect(writes()).toEqual(['POST /public/members/{id}/revoke']);
    // The roster's size is kept for the guard: the last one's, less the removed.
    expect((await store.lastComplete(SOURCE))?.records).toBe(3);
  });

  it('holds a mass removal reported by delta, and has the next read read everyone so the absence is decided again', async () => {
    users().delete(id(1));
    users().delete(id(4));
    runtime.bitwarden!.clearRequests();
    const held = await rosterStep(0.1);
    expect(held).toMatchObject({ complete: true, removed: 0, removalRefused: expect.stringContaining('more than 10% fewer') });
    expect([...held.absent].sort()).toEqual([id(1), id(4)]);
    expect(await runtime.queueDepth()).toBe(0);
    expect(writes()).toEqual([]);
    expect(member(1)?.status).toBe(MemberStatus.Invited);
    // A delta would not report them again: the next read is a whole one, which finds them absent.
    expect((await store.lastComplete(SOURCE))?.resume).toBeUndefined();
    // Read again, the same shrink is held again: it is measured against the last accepted size, not the held one.
    const again = await rosterStep(0.1);
    expect(again).toMatchObject({ complete: true, removed: 0, removalRefused: expect.stringContaining('more than 10% fewer') });
    expect(writes()).toEqual([]);
    // An admin who knows the departures are real raises roster.maxShrink for one read (docs/runbook.md): it removes them.
    const revoked = runtime.processedCount(2, (message) => message.eventType === 'roster.absent');
    const whole = await rosterStep(0.9);
    expect(whole).toMatchObject({ complete: true, records: 1, changed: 0, removed: 2 });
    expect([...whole.absent].sort()).toEqual([id(1), id(4)]);
    await revoked;
    expect(member(1)?.status).toBe(MemberStatus.Revoked);
  });

  it('reads everyone again when Graph no longer knows the delta token (410 Gone), removing nobody on the failed read', async () => {
    const last = (await store.lastComplete(SOURCE))!;
    const expired = `${runtime.sourceApis.url(SOURCE)}/v1.0/users/delta?$deltatoken=expired`;
    await store.completeRead(SOURCE, { readId: last.readId, startedAt: last.completedAt, cursor: null, pages: 0, records: 0, changed: 0, lockedUntil: 0 }, new Date(), { records: last.records, resume: expired });
    await expect(rosterStep()).rejects.toMatchObject({ name: 'RosterResyncError' });
    expect(await store.currentRead(SOURCE)).toBeNull();
    expect((await store.lastComplete(SOURCE))?.resume).toBeUndefined();
    expect(await rosterStep()).toMatchObject({ complete: true, records: users().size, changed: 0, absent: [] });
  });
});
