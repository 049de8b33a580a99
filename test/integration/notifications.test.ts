import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PublishCommand } from '@aws-sdk/client-sns';
import type { Context, SNSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNotifierHandler } from '../../functions/notifier.js';
import { loadConfigFile } from '../../lib/config/load.js';
import { localContext } from '../../lib/local/lambda-context.js';
import { invitesNotAccepted } from '../../lib/notify/messages.js';
import { snsChannel } from '../../lib/notify/sns.js';
import { reconcile } from '../../lib/reconcile/reconcile.js';
import { reconcileDependencies } from '../../lib/runtime/dependencies.js';
import { readEnvironment } from '../../lib/runtime/env.js';
import type { Notification } from '../../lib/store/notifications.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { runCli } from '../support/cli.js';
import { genericDelivery, worker, type WorkerInput } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';

/**
 * Issue 16, "Notifications": each kind reaches people. Under npm start each is printed and kept, and
 * `npx lifecycle events` lists it; in AWS the same notification is published to the SNS topic, and the
 * notifier function posts it (and CloudWatch alarms) to Slack or Teams.
 */
const config = `${readFileSync('cdk/config/lifecycle.yaml')}`.replace(
  'policy:\n',
  'policy:\n  massRevocationGuard:\n    maxRevocations: 1\n    maxShareOfOrganization: null\n',
);
let runtime: TestRuntime;
const printed: string[] = [];

beforeAll(async () => {
  // One receive: the first failure is the last, so a dead letter is told at once. One poller per lane: its group list is the one warmed below.
  runtime = await startTestRuntime(config, { maxReceiveCount: 1, workerConcurrency: 1 });
  vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
});
afterAll(async () => {
  vi.restoreAllMocks();
  await runtime?.stop();
});

async function deliver(type: Parameters<typeof genericDelivery>[0], record: WorkerInput) {
  const delivery = genericDelivery(type, record, { secret: TEST_SECRET });
  const settled = new Promise<void>((resolve) => {
    for (const source of Object.values(runtime.workers)) source.on('batch', ({ succeeded, failed }) => [...succeeded, ...failed].some((message) => JSON.parse(message.body).deliveryId === delivery.id) && resolve());
  });
  expect((await runtime.post('generic', delivery)).status).toBe(202);
  await settled;
  return delivery.id;
}

describe('notifications under npm start', () => {
  const engineer = worker({ department: 'Engineering', jobTitle: 'Analyst' });
  const seller = worker({ department: 'Sales' });
  const failing = worker({ department: 'Sales' });
  const leavers = [worker({ department: 'Sales' }), worker({ department: 'Sales' }), worker({ department: 'Sales' })];
  // Accepted an invitation before the product knew her: her hire links the member, who still waits for an admin to confirm.
  const accepter = worker({ department: 'Sales' });
  const ids: Record<string, string> = {};
  let byHand = '';

  beforeAll(async () => {
    runtime.bitwarden!.addMember({ email: accepter.workEmail!, status: MemberStatus.Accepted });
    // An admin invited a contractor by hand, who accepted too.
    byHand = runtime.bitwarden!.addMember({ email: 'contractor-by-hand@example.com', status: MemberStatus.Accepted }).id;
    for (const person of [seller, failing, ...leavers, accepter]) await deliver('worker.hired', person);
    // An admin deletes the Engineering group in Bitwarden while the worker's group list (kept 60 s) still has it.
    const engineering = runtime.bitwarden!.groupByName('Engineering')!;
    await fetch(`${runtime.bitwarden!.url}/public/groups/${engineering.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${runtime.bitwarden!.issueToken('api.organization')}` } });
    ids.invite = await deliver('worker.hired', engineer);
    runtime.bitwarden!.addGroup('Engineering');
    // Bitwarden fails a revocation on every try (the client tries each call four times).
    runtime.bitwarden!.failNext(500, 500, 500, 500);
    ids.revoke = await deliver('worker.terminated', { ...failing, status: 'terminated', terminationDate: '2026-01-01' });
    // The guard allows one revocation in its window: the second and third are held, and told once.
    for (const person of leavers) ids[person.externalId] = await deliver('worker.terminated', { ...person, status: 'terminated', terminationDate: '2026-01-01' });
    // The daily reconciliation, ten days on: a held revocation is drift, the invitations are still not accepted, two members wait for confirmation.
    const env = readEnvironment();
    const later = new Date(Date.now() + 10 * 86_400_000);
    await reconcile({ ...reconcileDependencies(env, loadConfigFile(env.LIFECYCLE_CONFIG), []), now: () => later }, { apply: false });
  }, 30_000);

  it('tells a failed invite, a dead letter, a guard hold (once), drift, invitations not accepted and members awaiting confirmation; npx lifecycle events lists them, newest first', async () => {
    const { status, json } = await runCli<Notification[]>('events');
    expect(status).toBe(0);
    const byKind = (kind: string) => json.filter((notification) => notification.kind === kind);
    // The reconciliation's three share an instant.
    expect(json.slice(0, 3).map((notification) => notification.kind).sort()).toEqual(['drift', 'invite-not-accepted', 'pending-confirmation']);
    expect(json.slice(3).map((notification) => notification.kind)).toEqual(['guard-hold', 'dead-letter', 'invite-failed']);

    expect(byKind('invite-failed')[0]).toMatchObject({ workerKey: engineer.externalId, deliveryId: ids.invite, subject: `Inviting worker ${engineer.externalId} failed 1 time` });
    expect(byKind('invite-failed')[0]!.message).toMatch(/^Last error: BitwardenError: .*Failed to invite users.*dlq redrive --delivery /);
    expect(byKind('dead-letter')[0]).toMatchObject({ workerKey: failing.externalId, deliveryId: ids.revoke, subject: `A worker.terminated of worker ${failing.externalId} failed 1 time and is a dead letter` });
    expect(byKind('dead-letter')[0]!.message).toMatch(/^Last error: BitwardenError: /);
    expect(byKind('guard-hold')[0]).toMatchObject({ workerKey: leavers[1]!.externalId, deliveryId: ids[leavers[1]!.externalId], subject: 'The mass-change guard is holding revocations' });
    expect(byKind('guard-hold')[0]!.message).toContain('npx lifecycle guard approve');
    // The two held revocations (the failed one was never applied: its worker is stored as active).
    expect(byKind('drift')[0]!.message).toMatch(/active-but-terminated: 2\b/);
    // Of those who should have access (the held leavers' invitations are the guard's business).
    expect(byKind('invite-not-accepted')[0]).toMatchObject({ subject: '2 Bitwarden invitation(s) not accepted after 7 days' });
    expect(byKind('invite-not-accepted')[0]!.message).toContain(seller.externalId);
    // Named by worker, or by member id when no worker explains the member; what to do, since the API cannot confirm.
    expect(byKind('pending-confirmation')[0]).toMatchObject({ subject: '2 Bitwarden member(s) accepted and wait for an admin to confirm them', workerKey: null });
    expect(byKind('pending-confirmation')[0]!.message).toMatch(new RegExp(`^(worker ${accepter.externalId}, member ${byHand}|member ${byHand}, worker ${accepter.externalId})\\. .*Members › Needs confirmation.*bw confirm org-member`));
    expect(byKind('pending-confirmation')[0]!.message).not.toContain('@');

    // npm start prints what its worker tells, as it happens (the reconciliation above ran in this test, not in npm start).
    expect(printed.filter((line) => line.startsWith('notification ')).map((line) => line.split(':')[0])).toEqual(['invite-failed', 'dead-letter', 'guard-hold'].map((kind) => `notification ${kind}`));
  });

  it('a failure is on the worker’s audit trail with its reason', async () => {
    const { json } = await runCli<Array<{ outcome: string; deliveryId: string; detail: string }>>('audit', engineer.externalId);
    expect(json.filter((entry) => entry.deliveryId === ids.invite).map((entry) => entry.outcome)).toEqual(['attempted', 'failed']);
  });
});

describe('Slack and Teams', () => {
  let receiver: ReturnType<typeof createServer>;
  const received: Array<{ path: string; body: unknown }> = [];
  let base = '';
  beforeAll(async () => {
    receiver = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        received.push({ path: request.url!, body: JSON.parse(body) });
        // Slack answers 200 "ok"; a Teams Workflows webhook 202; a revoked webhook 404.
        const status = { '/slack': 200, '/teams': 202 }[request.url!] ?? 404;
        response.writeHead(status).end(status === 200 ? 'ok' : '');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  /** What SNS hands a subscribed Lambda for a message published the way lib/notify/sns.ts publishes it. */
  async function snsEvent(notification: Notification): Promise<SNSEvent> {
    const published: PublishCommand['input'][] = [];
    await snsChannel({ send: (async (command: PublishCommand) => void published.push(command.input)) as never }, 'arn:aws:sns:eu-central-1:123456789012:alarms')(notification);
    const [input] = published;
    const attributes = Object.fromEntries(Object.entries(input!.MessageAttributes ?? {}).map(([name, value]) => [name, { Type: 'String', Value: value.StringValue! }]));
    return { Records: [{ EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: 'arn', Sns: { Subject: input!.Subject!, Message: input!.Message!, MessageAttributes: attributes } }] } as unknown as SNSEvent;
  }

  it('posts a notification to each incoming webhook in its own format', async () => {
    received.length = 0;
    const handler = createNotifierHandler(async () => [{ kind: 'slack', url: `${base}/slack` }, { kind: 'teams', url: `${base}/teams` }]);
    const notification = invitesNotAccepted(['E-1', 'E-<2>'], 7, new Date('2026-05-02T07:00:00Z'));
    await handler(await snsEvent(notification), localContext('notifier', 30) as Context);
    const text = `${notification.message}\n\nAt: 2026-05-02T07:00:00.000Z`;
    expect(received).toEqual([
      {
        path: '/slack',
        body: {
          text: '2 Bitwarden invitation(s) not accepted after 7 days',
          blocks: [
            { type: 'header', text: { type: 'plain_text', text: '2 Bitwarden invitation(s) not accepted after 7 days' } },
            // Slack's control characters are escaped in mrkdwn.
            { type: 'section', text: { type: 'mrkdwn', text: `2 Bitwarden invitation(s) not accepted after 7 days\n\n${text}`.replace('<2>', '&lt;2&gt;') } },
            { type: 'context', elements: [{ type: 'mrkdwn', text: '*kind:* invite-not-accepted' }] },
          ],
        },
      },
      {
        path: '/teams',
        body: {
          type: 'message',
          attachments: [
            {
              contentType: 'application/vnd.microsoft.card.adaptive',
              contentUrl: null,
              content: {
                $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
                type: 'AdaptiveCard',
                version: '1.4',
                body: [
                  { type: 'TextBlock', text: '2 Bitwarden invitation(s) not accepted after 7 days', weight: 'Bolder', size: 'Medium', wrap: true },
                  { type: 'TextBlock', text: `2 Bitwarden invitation(s) not accepted after 7 days\n\n${text}`, wrap: true },
                  { type: 'FactSet', facts: [{ title: 'kind', value: 'invite-not-accepted' }] },
                ],
              },
            },
          ],
        },
      },
    ]);
  });

  it('posts CloudWatch alarms from the same topic, and fails (so SNS retries) when a webhook refuses', async () => {
    received.length = 0;
    const alarm = { AlarmName: 'hr-bitwarden-lifecycle-prod-UrgentDeadLetters', AlarmDescription: 'A Urgent event failed 10 times. Runbook: docs/runbook.md', NewStateValue: 'ALARM', NewStateReason: 'Threshold Crossed: 1 datapoint [1.0] was >= 1.0', Region: 'EU (Frankfurt)' };
    const event = { Records: [{ Sns: { Subject: 'ALARM: "hr-bitwarden-lifecycle-prod-UrgentDeadLetters" in EU (Frankfurt)', Message: JSON.stringify(alarm), MessageAttributes: {} } }] } as unknown as SNSEvent;
    await createNotifierHandler(async () => [{ kind: 'slack', url: `${base}/slack` }])(event, localContext('notifier', 30) as Context);
    expect(received[0]!.body).toMatchObject({ text: 'ALARM: hr-bitwarden-lifecycle-prod-UrgentDeadLetters', blocks: [{ type: 'header' }, { type: 'section', text: { text: `${alarm.AlarmDescription}\n${alarm.NewStateReason.replace('>', '&gt;')}` } }, { type: 'context' }] });
    await expect(createNotifierHandler(async () => [{ kind: 'slack', url: `${base}/revoked` }])(event, localContext('notifier', 30) as Context)).rejects.toThrow('the slack incoming webhook answered 404');
  });
});
