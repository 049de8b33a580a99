import { readFileSync } from 'node:fs';
import { Temporal } from 'temporal-polyfill';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpcomingChange } from '../../lib/lifecycle/upcoming.js';
import type { PendingConfirmation } from '../../lib/lifecycle/pending-confirmation.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { runCli, runLifecycle } from '../support/cli.js';
import { worker } from '../support/generic-events.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/** Pending work: what the calendar will change (`upcoming`), and who waits for an admin (`pending-confirmation`), on the local runtime. */
const ZONE = 'America/New_York';
let runtime: TestRuntime;
beforeAll(async () => {
  // A zone other than UTC, and hires invited 3 days before they start: the instants must be the zone's, and the invite time the stored re-evaluation.
  const config = readFileSync('cdk/config/lifecycle.yaml', 'utf8').replace('policy:\n', `policy:\n  timeZone: ${ZONE}\n  inviteDaysBeforeStart: 3\n`);
  runtime = await startTestRuntime(config);
});
afterAll(() => runtime?.stop());

/** A day `days` from today in the organization's zone, as HR writes it. */
const inDays = (days: number) => Temporal.Now.plainDateISO(ZONE).add({ days }).toString();
/** The instant a day (`after` days later) begins in the zone. */
const startOf = (day: string, after = 0) => Temporal.PlainDate.from(day).add({ days: after }).toZonedDateTime(ZONE);

describe('lifecycle upcoming', () => {
  const hire = worker({ status: 'pending', startDate: inDays(10) });
  const contractor = worker({ employmentType: 'contractor', startDate: '2024-03-01', endDate: inDays(5) });
  const leaver = worker({ startDate: '2023-06-01', terminationDate: inDays(20) });
  const laterLeaver = worker({ startDate: '2023-06-01', terminationDate: inDays(45) });
  const steady = worker({ startDate: '2022-01-10' });

  beforeAll(async () => {
    for (const person of [hire, contractor, leaver, laterLeaver, steady]) await runtime.deliver('worker.hired', person);
  });

  it('lists start dates, end dates and future terminations of the next 30 days at their instants in the zone, soonest first', async () => {
    const { status, json } = await runCli<{ timeZone: string; days: number; changes: UpcomingChange[] }>('upcoming');
    expect(status).toBe(0);
    expect(json).toMatchObject({ timeZone: ZONE, days: 30 });
    const contractorEnds = startOf(contractor.endDate!, 1); // the end date is the last day with access: it ends as the next day begins
    const hireStarts = startOf(hire.startDate!);
    const leaverLeaves = startOf(leaver.terminationDate!, 1); // terminationTakesEffect: end-of-day
    expect(json.changes.map(({ workerKey, kind, date, effectiveAt, effectiveAtLocal }) => ({ workerKey, kind, date, effectiveAt, effectiveAtLocal }))).toEqual([
      { workerKey: contractor.externalId, kind: 'end-date', date: contractor.endDate, effectiveAt: contractorEnds.toInstant().toString({ fractionalSecondDigits: 3 }), effectiveAtLocal: contractorEnds.toString() },
      { workerKey: hire.externalId, kind: 'start', date: hire.startDate, effectiveAt: hireStarts.toInstant().toString({ fractionalSecondDigits: 3 }), effectiveAtLocal: hireStarts.toString() },
      { workerKey: leaver.externalId, kind: 'termination', date: leaver.terminationDate, effectiveAt: leaverLeaves.toInstant().toString({ fractionalSecondDigits: 3 }), effectiveAtLocal: leaverLeaves.toString() },
    ]);
    expect(json.changes[0]!.effectiveAtLocal).toMatch(/T00:00:00-0[45]:00\[America\/New_York\]$/);
    // The hire is not invited yet: the Workers table holds when it will be (3 days before the start), and so does the list.
    const started = json.changes.find((change) => change.kind === 'start')!;
    expect(started.reevaluateAt).toBe(hireStarts.subtract({ hours: 72 }).toInstant().toString({ fractionalSecondDigits: 3 }));
    expect(started.effect).toMatch(/invited at its re-evaluation/);
    expect(runtime.bitwarden!.memberByExternalId(hire.externalId)).toBeUndefined();
    // The others' scheduled re-evaluation is the instant their access ends.
    expect(json.changes.find((change) => change.kind === 'end-date')!.reevaluateAt).toBe(json.changes.find((change) => change.kind === 'end-date')!.effectiveAt);
  });

  it('--days widens the window; the text names the zone and shows local times with UTC beside them', async () => {
    const wide = await runCli<{ changes: UpcomingChange[] }>('upcoming', '--days', '60');
    expect(wide.json.changes.map((change) => change.workerKey)).toEqual([contractor.externalId, hire.externalId, leaver.externalId, laterLeaver.externalId]);
    const narrow = await runCli<{ changes: UpcomingChange[] }>('upcoming', '--days', '7');
    expect(narrow.json.changes.map((change) => change.workerKey)).toEqual([contractor.externalId]);
    const text = await runLifecycle(['upcoming', '--aws']);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`Times in ${ZONE} (policy.timeZone).`);
    expect(text.stdout).toMatch(new RegExp(`${startOf(contractor.endDate!, 1).toPlainDate().toString()} 00:00:00 [A-Z]{3} \\(\\d{2}:00:00 UTC\\) +${contractor.externalId} +${contractor.workEmail} +end-date`));
  });

  it('refuses a --days that is not a number of days, as a usage error', async () => {
    const { status, json } = await runCli<{ error: string }>('upcoming', '--days', 'soon');
    expect(status).toBe(2);
    expect(json.error).toContain('must be a whole number of days from 1 to 366');
  });
});

describe('lifecycle pending-confirmation', () => {
  it('lists members who accepted and wait for an admin, with their worker, and exits 3; says the API cannot confirm', async () => {
    // Priya accepted an invitation before the product knew her (the product links her member by e-mail);
    // a contractor an admin invited by hand accepted too; Omar was invited by the product and has not accepted.
    const priya = worker({ firstName: 'Priya', lastName: 'Raman' });
    const omar = worker();
    const accepted = runtime.bitwarden!.addMember({ email: priya.workEmail!, status: MemberStatus.Accepted });
    const byHand = runtime.bitwarden!.addMember({ email: 'contractor-by-hand@example.com', status: MemberStatus.Accepted });
    await runtime.deliver('worker.hired', priya);
    await runtime.deliver('worker.hired', omar);

    const { status, json } = await runCli<{ pending: PendingConfirmation[]; howToConfirm: string }>('pending-confirmation');
    expect(status).toBe(3);
    expect(json.pending).toEqual(
      expect.arrayContaining([
        { memberId: accepted.id, email: priya.workEmail, workerKey: priya.externalId, workerName: 'Priya Raman', invitedAt: null },
        { memberId: byHand.id, email: 'contractor-by-hand@example.com', workerKey: null, workerName: null, invitedAt: null },
      ]),
    );
    expect(json.pending).toHaveLength(2);
    expect(json.howToConfirm).toMatch(/Public API does not/);
    const text = await runLifecycle(['pending-confirmation', '--aws']);
    expect(text.status).toBe(3);
    expect(text.stdout).toContain('2 member(s) accepted and wait for confirmation.');
    expect(text.stdout).toContain('bw confirm org-member');
  });
});
