import { Attribute, Change, Client, SizeLimitExceededError } from 'ldapts';
import { searchDirectory } from '../../lib/sources/ldap/directory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { syncRoster, type RosterSyncDependencies } from '../../lib/roster/sync-roster.js';
import { documentClient } from '../../lib/runtime/aws.js';
import { eventPublisher } from '../../lib/runtime/dependencies.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { EMULATED_TENANT } from '../../lib/sources/entradirectory/emulator.js';
import { ldapAccounts } from '../../lib/sources/ldap/accounts.js';
import { findSource } from '../../lib/sources/registry.js';
import type { FetchContext, SourceSettings } from '../../lib/sources/source.js';
import { RosterStore } from '../../lib/store/roster-store.js';
import { Tables } from '../../lib/store/tables.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';
import { startSlapd, type Slapd } from '../support/slapd.js';

/**
 * The directory rosters (README, "Directories") through the real pipeline: each directory's data
 * is changed (its emulated API, or a real OpenLDAP server for LDAP), a roster step runs as the
 * scheduled Lambda runs it, and the worker applies what changed to the Bitwarden emulator. A person
 * is created, moved (title and department), deactivated, reactivated and deleted: each change is
 * one message and one Bitwarden write. Pages are 2 users, so every read pages.
 */
const config = `
providers:
  ldap:
    baseDn: ou=People,dc=corp,dc=example
    groupBaseDn: ou=Groups,dc=corp,dc=example
    userFilter: (objectClass=user)
    pageSize: 2
    groups: { engineering: Engineering, platform: "cn=Platform,ou=Groups,dc=corp,dc=example", finance: Finance }
  googleworkspace: { subject: admin@corp.example, pageSize: 2 }
  entradirectory: { tenantId: ${EMULATED_TENANT}, pageSize: 2 }
  oktadirectory: { pageSize: 2 }
  onelogindirectory: { pageSize: 2 }
policy:
  # Ten revocations in this small organization: not a share the mass-revocation guard should hold.
  massRevocationGuard: { maxShareOfOrganization: null }
rules:
  - id: everyone
    groups: [All Staff]
  - id: engineering
    match: { department: Engineering }
    groups: [Engineering]
  - id: platform
    match:
      attributes: { platform: member }
    groups: [Platform]
`;

interface Person {
  id: number;
  first: string;
  last: string;
  title: string;
  department: string;
  active: boolean;
}

/** A directory as the test edits it: an account put (created or replaced) or removed, and the worker key the source reads for it. */
interface Harness {
  put(person: Person): Promise<void>;
  remove(id: number): Promise<void>;
  key(id: number): string;
}

const email = (person: Person) => `${person.first}.${person.last}@corp.example`.toLowerCase();
const guid = (id: number) => `6f3c1a2b-4d5e-4f60-8a7b-${id.toString(16).padStart(12, '0')}`;
/** A GUID's bytes as AD stores objectGUID: the first three groups little-endian. */
function guidBytes(text: string): Buffer {
  const hex = text.replace(/-/g, '');
  const flip = (from: number, to: number) => Buffer.from(hex.slice(from, to), 'hex').reverse();
  return Buffer.concat([flip(0, 8), flip(8, 12), flip(12, 16), Buffer.from(hex.slice(16), 'hex')]);
}

let runtime: TestRuntime;
let slapd: Slapd;
let admin: Client;

beforeAll(async () => {
  [runtime, slapd] = await Promise.all([startTestRuntime(config), startSlapd()]);
  admin = new Client({ url: slapd.url });
  await admin.bind(slapd.admin.dn, slapd.admin.password);
});
afterAll(async () => {
  await admin?.unbind();
  await Promise.all([runtime?.stop(), slapd?.stop()]);
});

/** Each HTTP directory's emulated records, keyed by the id its API answers, in its own shape. */
function emulated(name: string, shape: (person: Person) => Record<string, unknown>, key: (id: number) => string = String): Harness {
  return {
    put: async (person) => void runtime.sourceApis.records(name).set(key(person.id), shape(person)),
    remove: async (id) => void runtime.sourceApis.records(name).delete(key(id)),
    key,
  };
}

const ldapDn = (person: Pick<Person, 'first' | 'last'>) => `cn=${person.first} ${person.last},ou=People,${slapd.suffix}`;
const ldapPeople = new Map<number, Person>();

const harnesses: Record<string, Harness> = {
  ldap: {
    async put(person) {
      // AD's userAccountControl: 512 NORMAL_ACCOUNT, plus 2 ACCOUNTDISABLE when disabled.
      const control = String(person.active ? 512 : 514);
      if (ldapPeople.has(person.id)) {
        await admin.modify(ldapDn(person), [
          new Change({ operation: 'replace', modification: new Attribute({ type: 'title', values: [person.title] }) }),
          new Change({ operation: 'replace', modification: new Attribute({ type: 'department', values: [person.department] }) }),
          new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: [control] }) }),
        ]);
      } else {
        await admin.add(ldapDn(person), [
          new Attribute({ type: 'objectClass', values: ['user'] }),
          new Attribute({ type: 'cn', values: [`${person.first} ${person.last}`] }),
          new Attribute({ type: 'sn', values: [person.last] }),
          new Attribute({ type: 'givenName', values: [person.first] }),
          new Attribute({ type: 'sAMAccountName', values: [person.first.toLowerCase()] }),
          new Attribute({ type: 'mail', values: [email(person)] }),
          new Attribute({ type: 'title', values: [person.title] }),
          new Attribute({ type: 'department', values: [person.department] }),
          new Attribute({ type: 'userAccountControl', values: [control] }),
          new Attribute({ type: 'objectGUID', values: [guidBytes(guid(person.id))] }),
        ]);
      }
      ldapPeople.set(person.id, person);
    },
    async remove(id) {
      await admin.del(ldapDn(ldapPeople.get(id)!));
      ldapPeople.delete(id);
    },
    key: guid,
  },
  googleworkspace: emulated('googleworkspace', (person) => ({
    primaryEmail: email(person),
    name: { givenName: person.first, familyName: person.last, fullName: `${person.first} ${person.last}` },
    suspended: !person.active,
    organizations: [{ primary: true, title: person.title, department: person.department, costCenter: 'CC-1' }],
  }), (id) => `1${String(id).padStart(20, '0')}`),
  entradirectory: emulated('entradirectory', (person) => ({
    accountEnabled: person.active,
    mail: email(person),
    userPrincipalName: email(person),
    givenName: person.first,
    surname: person.last,
    displayName: `${person.first} ${person.last}`,
    jobTitle: person.title,
    department: person.department,
  }), (id) => guid(0xe000 + id)),
  oktadirectory: emulated('oktadirectory', (person) => ({
    // Okta's deactivation makes a user DEPROVISIONED, which the unfiltered list leaves out.
    status: person.active ? 'ACTIVE' : 'DEPROVISIONED',
    profile: { login: email(person), email: email(person), firstName: person.first, lastName: person.last, title: person.title, department: person.department },
  }), (id) => `00u${String(id).padStart(17, '0')}`),
  onelogindirectory: emulated('onelogindirectory', (person) => ({
    email: email(person),
    firstname: person.first,
    lastname: person.last,
    title: person.title,
    department: person.department,
    // status 1 Active, 2 Suspended; state 1 Approved.
    status: person.active ? 1 : 2,
    state: 1,
  })),
};

/** The context the product hands the source: its emulator (or slapd), and the emulated login host where the API has a separate one. */
function context(name: string): FetchContext<SourceSettings> {
  const settings = parseConfig(config).providers[name]!;
  // The LDAP client, as lib/runtime/roster-reader.ts gives it to the roster read.
  if (name === 'ldap') return { apiUrl: slapd.url, credentials: slapd.readerCredentials, settings, searchDirectory };
  const url = runtime.sourceApis.url(name);
  return { apiUrl: url, credentials: runtime.sourceApis.credentials(name), settings: name === 'entradirectory' ? { ...settings, loginUrl: url } as SourceSettings : settings };
}

/** One step of the directory's roster read, as the scheduled Lambda runs it. */
function rosterStep(name: string, maxShrink = 0.25) {
  const source = findSource(name)!;
  const deps: RosterSyncDependencies = {
    store: new RosterStore(documentClient(), tableName(readEnvironment(), Tables.roster)),
    publisher: eventPublisher(readEnvironment()),
    readPage: (cursor) => source.readRoster!(context(name), cursor),
    maxShrink,
    now: () => new Date(),
    timeLeft: () => Number.POSITIVE_INFINITY,
  };
  return syncRoster(name, deps, { lockMs: 60_000 });
}

/** Ids 100+ for the people the test adds (the LDAP fixture's own users are 1 to 5). */
const colleagues = (name: string): Person[] =>
  ['Noor', 'Ines', 'Tomas', 'Wei'].map((first, index) => ({ id: 100 + index, first, last: `${name.slice(0, 4)}x${index}`, title: 'Analyst', department: 'Sales', active: true }));

const member = (key: string) => runtime.bitwarden!.memberByExternalId(key);
const writes = () => runtime.bitwarden!.writes().map((exchange) => `${exchange.method} ${exchange.route}`);

/** Runs a step after `change`, and waits until the worker has applied its one message. */
async function applied(name: string, key: string, change: () => Promise<void>, expected: { changed?: number; absent?: string[] } = { changed: 1 }) {
  await change();
  runtime.bitwarden!.clearRequests();
  const done = runtime.processed((message) => message.provider === name && message.workerKey === key);
  expect(await rosterStep(name)).toMatchObject({ complete: true, problems: [], ...expected });
  await done;
}

describe.each(Object.keys(harnesses))('the %s roster', (name) => {
  const harness = harnesses[name]!;
  const person: Person = { id: 42, first: 'Pat', last: `Doe${name.length}`, title: 'Analyst', department: 'Sales', active: true };
  const key = harness.key(person.id);

  it('reads the directory page by page, then follows a person through create, move, deactivate, reactivate and delete, one Bitwarden write each', async () => {
    // The first read: everyone in the directory, over several pages.
    const population = name === 'ldap' ? 5 : colleagues(name).length; // the fixture's 5 users, one of them disabled
    if (name !== 'ldap') for (const colleague of colleagues(name)) await harness.put(colleague);
    const firstRead = runtime.processedCount(population, (message) => message.provider === name);
    const first = await rosterStep(name);
    expect(first).toMatchObject({ complete: true, changed: population, problems: [] });
    if (name !== 'ldap') expect(first.pages).toBe(population / 2);
    await firstRead;

    await applied(name, key, () => harness.put(person));
    expect(member(key)).toMatchObject({ email: email(person), status: MemberStatus.Invited, groupNames: ['All Staff'] });
    expect(writes()).toEqual(['POST /public/members']);

    const moved = { ...person, title: 'Platform Engineer', department: 'Engineering' };
    await applied(name, key, () => harness.put(moved));
    expect(member(key)).toMatchObject({ status: MemberStatus.Invited, groupNames: ['All Staff', 'Engineering'] });
    expect(writes()).toEqual(['PUT /public/members/{id}/group-ids']);

    await applied(name, key, () => harness.put({ ...moved, active: false }));
    expect(member(key)?.status).toBe(MemberStatus.Revoked);
    expect(writes()).toEqual(['POST /public/members/{id}/revoke']);

    await applied(name, key, () => harness.put(moved));
    expect(member(key)).toMatchObject({ status: MemberStatus.Invited, groupNames: ['All Staff', 'Engineering'] });
    expect(writes()).toEqual(['POST /public/members/{id}/restore']);

    await applied(name, key, () => harness.remove(person.id), { absent: [key] });
    expect(member(key)?.status).toBe(MemberStatus.Revoked);
    expect(writes()).toEqual(['POST /public/members/{id}/revoke']);
  });
});

describe('the ldap roster, read from the AD-shaped fixture', () => {
  it('flattens nested groups through a loop, reads userAccountControl 0x2 as terminated, and formats objectGUID as AD does', async () => {
    const page = await findSource('ldap')!.readRoster!(context('ldap'), null);
    const byName = new Map(page.records.map(({ record }) => [record.firstName, record]));
    expect(page.next).toBeNull();
    // Ada is in Platform directly, and in Engineering because Engineering holds Platform... which holds Engineering.
    expect(byName.get('Ada')).toMatchObject({ externalId: guid(1), workEmail: 'ada@corp.example', jobTitle: 'Staff Engineer', department: 'Engineering', managerWorkEmail: 'grace@corp.example', status: 'active', attributes: { engineering: 'member', platform: 'member', finance: null } });
    expect(byName.get('Grace')?.attributes).toEqual({ engineering: 'member', platform: 'member', finance: null });
    expect(byName.get('Margaret')?.attributes).toEqual({ engineering: null, platform: null, finance: 'member' });
    expect(byName.get('Linus')?.status).toBe('terminated'); // 514: ACCOUNTDISABLE
    expect(byName.get('Ken')?.status).toBe('active'); // 66048: DONT_EXPIRE_PASSWORD only
    // The Platform rule gave Ada its group on the first read.
    expect(member(guid(1))?.groupNames).toEqual(['All Staff', 'Engineering', 'Platform']);
  });

  it('pages: the service account may read 3 entries a search, and an unpaged search of the same users fails', async () => {
    const reader = new Client({ url: slapd.url });
    const colon = slapd.readerCredentials.indexOf(':');
    await reader.bind(slapd.readerCredentials.slice(0, colon), slapd.readerCredentials.slice(colon + 1));
    try {
      await expect(reader.search(`ou=People,${slapd.suffix}`, { filter: '(objectClass=user)' })).rejects.toBeInstanceOf(SizeLimitExceededError);
    } finally {
      await reader.unbind();
    }
    expect((await findSource('ldap')!.readRoster!(context('ldap'), null)).records.length).toBeGreaterThan(3);
  });

  it('refuses a wrong password as the API failure it is, naming no credential', async () => {
    const bad = { ...context('ldap'), credentials: `cn=lifecycle-reader,${slapd.suffix}:not-the-password` };
    const failure = findSource('ldap')!.readRoster!(bad, null);
    await expect(failure).rejects.toMatchObject({ name: 'ProviderApiError', message: expect.stringContaining('the bind DN or password was refused') });
    await expect(failure).rejects.not.toMatchObject({ message: expect.stringContaining('not-the-password') });
  });
});

describe('the ldap roster, past what OpenLDAP can show', () => {
  it('changes nothing when AD answers a group\'s members in ranges (over 1,500), naming the group', () => {
    const settings = findSource('ldap')!.settings.parse({ baseDn: 'dc=corp', groups: { staff: 'All Staff' } }) as Parameters<typeof ldapAccounts>[2];
    const user = { dn: 'CN=Ada,DC=corp', objectGUID: guidBytes(guid(1)), mail: 'ada@corp.example' };
    const ranged = { dn: 'CN=All Staff,DC=corp', cn: 'All Staff', 'member;range=0-1499': ['CN=Ada,DC=corp'] };
    expect(() => ldapAccounts([user], [ranged], settings)).toThrow(expect.objectContaining({ name: 'RosterUnreadableError', message: expect.stringContaining('CN=All Staff,DC=corp') }));
    // The same group answered whole, its member DN spelt differently: read as the same user.
    expect(ldapAccounts([user], [{ dn: ranged.dn, cn: ranged.cn, member: ['cn=ada, dc=corp'] }], settings).accounts[0]!.attributes).toEqual({ staff: 'member' });
  });
});

describe('the absence guard, on a directory', () => {
  it('holds a read that would remove a third of the Okta directory: nobody is revoked, nothing is sent', async () => {
    const okta = harnesses.oktadirectory!;
    const gone = colleagues('oktadirectory').slice(0, 2);
    for (const colleague of gone) await okta.remove(colleague.id);
    runtime.bitwarden!.clearRequests();

    const held = await rosterStep('oktadirectory', 0.1);
    expect(held).toMatchObject({ complete: true, removed: 0, removalRefused: expect.stringContaining('more than 10% fewer') });
    expect([...held.absent].sort()).toEqual(gone.map((colleague) => okta.key(colleague.id)).sort());
    expect(await runtime.queueDepth()).toBe(0);
    expect(writes()).toEqual([]);
    for (const colleague of gone) expect(member(okta.key(colleague.id))?.status).toBe(MemberStatus.Invited);
  });
});

describe('what a directory read refuses', () => {
  it('refuses settings it cannot use, naming the field', () => {
    const problems = (providers: string) => {
      try {
        parseConfig(`providers:\n${providers}rules:\n  - id: everyone\n    groups: [All Staff]\n`);
      } catch (error) {
        return (error as { problems: string[] }).problems.join('\n');
      }
      return 'accepted';
    };
    expect(problems('  ldap: { baseDn: "dc=corp", userFilter: "(objectClass=user" }\n')).toMatch(/providers\.ldap\.userFilter: must be an LDAP search filter/);
    expect(problems('  ldap: { baseDn: "dc=corp", apiUrl: "https://dc1.corp.example" }\n')).toMatch(/providers\.ldap\.apiUrl: must be an ldap:\/\/ or ldaps:\/\/ URL/);
    expect(problems('  entradirectory: { pageSize: 2 }\n')).toMatch(/providers\.entradirectory\.tenantId/);
    expect(problems('  googleworkspace: { subject: admin }\n')).toMatch(/providers\.googleworkspace\.subject: must be the e-mail address of an admin/);
    expect(problems('  oktadirectory: { pageSize: 500 }\n')).toMatch(/providers\.oktadirectory\.pageSize/);
  });

  it('never follows a next link off the API\'s origin: the token would go with it', async () => {
    const read = findSource('oktadirectory')!.readRoster!(context('oktadirectory'), 'https://collector.example/api/v1/users?after=x');
    await expect(read).rejects.toMatchObject({ name: 'ProviderApiError', message: expect.stringContaining('is not followed') });
  });

  it('gets no Google token for an assertion signed by another key', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const own = context('googleworkspace');
    const key = JSON.parse(own.credentials) as Record<string, string>;
    const forged = { ...key, private_key: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), client_email: 'forger@example-project.iam.gserviceaccount.com' };
    const read = findSource('googleworkspace')!.readRoster!({ ...own, credentials: JSON.stringify(forged) }, null);
    await expect(read).rejects.toMatchObject({ name: 'ProviderApiError', status: 400, message: expect.stringContaining('Invalid JWT Signature') });
  });

  it('reports an account it cannot map, and that read removes nobody', async () => {
    const google = harnesses.googleworkspace!;
    const records = runtime.sourceApis.records('googleworkspace');
    const [colleague] = colleagues('googleworkspace');
    const original = records.get(google.key(colleague!.id))!;
    records.set(google.key(colleague!.id), { ...original, primaryEmail: 'not-an-address' });
    await google.remove(colleagues('googleworkspace')[1]!.id);
    try {
      const result = await rosterStep('googleworkspace');
      expect(result.problems).toEqual([{ at: `account ${google.key(colleague!.id)}`, reason: 'workEmail: must be an e-mail address' }]);
      expect(result).toMatchObject({ complete: true, removed: 0, removalRefused: expect.stringContaining('could not be read') });
    } finally {
      records.set(google.key(colleague!.id), original);
      await google.put(colleagues('googleworkspace')[1]!);
    }
  });
});
