import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { runCli } from '../support/cli.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/**
 * The first day, as the README tells it: an organization that already has members, and an HR
 * export. `npx lifecycle sync --from FILE` plans for the whole company, changing nothing; with
 * `--apply`, existing members are linked (never re-invited), newcomers invited, and bad rows
 * reported by line; a file whose header is wrong changes nothing at all.
 */
let runtime: TestRuntime;
const dir = mkdtempSync(path.join(tmpdir(), 'first-day-'));
const file = path.join(dir, 'hr-export.csv');

beforeAll(async () => {
  runtime = await startTestRuntime();
  const bitwarden = runtime.bitwarden!;
  bitwarden.addMember({ email: 'ana@example.com', status: MemberStatus.Confirmed });
  bitwarden.addMember({ email: 'ben@example.com', status: MemberStatus.Confirmed, externalId: 'directory-connector-7' });
  bitwarden.addMember({ email: 'contractor@example.com', status: MemberStatus.Confirmed });
  writeFileSync(
    file,
    [
      'Employee ID,Email,Status,Department,Title',
      'E-1,Ana@Example.com,active,Engineering,Analyst',
      'E-2,ben@example.com,active,Finance,Controller',
      'E-3,cleo@example.com,active,Finance,Accountant',
      'E-4,,active,Sales,Intern',
      'E-5,dan@example.com,someday,Sales,Analyst',
      'E-6,eve@example.com,active,Engineering,Analyst',
    ].join('\n'),
  );
  // The config maps the export's headers (README, "Roster file").
});
afterAll(() => runtime?.stop());

type Plan = { counts: Record<string, number>; csv: string; problems: Array<{ at: string; reason: string }> };

describe('npx lifecycle sync --from FILE', () => {
  const mapped = ['--config', ''];

  beforeAll(() => {
    const config = path.join(dir, 'lifecycle.yaml');
    writeFileSync(config, `${readFileSync(process.env.LIFECYCLE_CONFIG!, 'utf8')}\n`.replace('providers:\n', 'providers:\n  file:\n    columns: { externalId: Employee ID, workEmail: Email, status: Status, department: Department, jobTitle: Title }\n'));
    mapped[1] = config;
  });

  it('plans for the whole company without changing anything, in counts and a CSV of rows', async () => {
    const writes = runtime.bitwarden!.writes().length;
    const csv = path.join(dir, 'plan.csv');
    const { status, json } = await runCli<Plan>('sync', '--from', file, '--csv', csv, ...mapped);
    expect(json.counts).toMatchObject({ link: 2, invite: 2, 'worker-without-email': 1, 'member-without-worker': 1, revoke: 0 });
    expect(json.problems).toEqual([{ at: 'line 6', reason: expect.stringMatching(/^status: /) }]);
    expect(status).toBe(1);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('kind,workerKey,email,groups,detail');
    expect(rows.filter((row) => row.startsWith('"link"')).map((row) => row.split(',')[1])).toEqual(['"E-1"', '"E-2"']);
    expect(runtime.bitwarden!.writes()).toHaveLength(writes);
    expect(await runtime.queueDepth()).toBe(0);
  });

  it('applies it through the worker: existing members linked (externalId only where empty), newcomers invited, bad rows reported', async () => {
    const { status, json } = await runCli<{ changed: number; drained: boolean; problems: unknown[] }>('sync', '--from', file, '--apply', ...mapped);
    expect(json).toMatchObject({ changed: 5, drained: true, problems: [expect.objectContaining({ at: 'line 6' })] });
    expect(status).toBe(1);
    const members = runtime.bitwarden!.allMembers();
    expect(members.find((member) => member.email === 'ana@example.com')).toMatchObject({ externalId: 'E-1', status: MemberStatus.Confirmed, groupNames: ['All Staff', 'Engineering'] });
    // Another tool's externalId is kept; the member is still this worker's, by its stored link.
    expect(members.find((member) => member.email === 'ben@example.com')).toMatchObject({ externalId: 'directory-connector-7', groupNames: ['All Staff', 'Finance'] });
    expect(members.filter((member) => ['cleo@example.com', 'eve@example.com'].includes(member.email)).map((member) => member.status)).toEqual([MemberStatus.Invited, MemberStatus.Invited]);
    expect(runtime.bitwarden!.writes().filter((write) => write.route === '/public/members' && write.method === 'POST')).toHaveLength(2);
    expect(members.find((member) => member.email === 'contractor@example.com')?.status).toBe(MemberStatus.Confirmed);
  });

  it('changes nothing at all for a file whose header is wrong', async () => {
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'Employee ID,Email,Department\nE-9,zed@example.com,Sales\n');
    const writes = runtime.bitwarden!.writes().length;
    const { status, json } = await runCli<{ error: string; changed: boolean }>('sync', '--from', bad, '--apply', ...mapped);
    expect(status).toBe(1);
    expect(json).toEqual({ error: expect.stringContaining('the header lacks the column(s) "Status"'), changed: false });
    expect(runtime.bitwarden!.writes()).toHaveLength(writes);
    expect(await runtime.queueDepth()).toBe(0);
  });
});
