import { createHmac } from 'node:crypto';
import type { SendMessageBatchCommand, SendMessageBatchResult, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { MAX_CHANGES_PER_DELIVERY, receiveWebhook, type IngestDependencies } from '../../lib/ingest/receive-webhook.js';
import type { WorkerEventMessage } from '../../lib/queue/message.js';
import { PublishIncomplete, SqsEventPublisher } from '../../lib/queue/publisher.js';
import { enabledWebhookSources } from '../../lib/sources/webhook-sources.js';
import { findSource } from '../../lib/sources/registry.js';
import { apiPathSegment } from '../../lib/sources/source-api.js';
import type { WebhookRequest } from '../../lib/sources/source.js';
import { allProvidersConfig, loadFixture, manifest } from '../support/fixtures.js';
import { sign } from '../support/sign.js';
import { rejection } from '../support/rejection.js';

const settings = parseConfig(allProvidersConfig).providers;
const source = (name: string) => findSource(name)!;
const BAMBOO_SECRET = 'bamboohr-unit-secret';
const NOW_UNIX = 1_780_000_000;

/** A signed field-based BambooHR delivery listing these employees. */
function bambooDelivery(employees: Array<{ id: string; action?: 'Created' | 'Updated' | 'Deleted'; fields?: Record<string, unknown> }>): WebhookRequest {
  const body = JSON.stringify({ employees: employees.map(({ id, action = 'Deleted', fields = {} }, index) => ({ action, id, timestamp: new Date((NOW_UNIX - 60 + index) * 1000).toISOString(), fields })) });
  return { headers: sign('bamboohr', body, BAMBOO_SECRET, NOW_UNIX), body: Buffer.from(body) };
}

/** The ingest core with its ports in memory: the secret, and a queue that records or fails as told. */
function ingestCore(enqueue: (messages: WorkerEventMessage[]) => Promise<void> = async () => undefined) {
  const enqueued: WorkerEventMessage[] = [];
  const deps: IngestDependencies = {
    sources: enabledWebhookSources({ bamboohr: settings.bamboohr }),
    secretsFor: async () => [BAMBOO_SECRET],
    enqueueOnce: async (_key: string, messages: WorkerEventMessage[]) => {
      await enqueue(messages);
      enqueued.push(...messages);
      return { duplicate: false };
    },
    now: () => new Date(NOW_UNIX * 1000),
  };
  return { enqueued, receive: (request: WebhookRequest) => receiveWebhook('bamboohr', request, deps) };
}

const withHeader = (request: WebhookRequest, name: string, value: string): WebhookRequest => ({ ...request, headers: { ...request.headers, [name]: value } });
const fixtureOf = (provider: string) => manifest.fixtures.find((fixture) => fixture.provider === provider)!;

describe('a re-spelled signature is the same delivery (point 2)', () => {
  const spellings: Record<string, { header: string; respell: (signature: string) => string[] }> = {
    bamboohr: { header: 'x-bamboohr-signature', respell: (hex) => [hex.toUpperCase(), ` ${hex}\u00a0`, `\u00a0${hex.toUpperCase()}  `] },
    hibob: { header: 'bob-signature', respell: (base64) => [base64.replace(/=+$/, ''), `${base64.replace(/=+$/, '')}=`, `\u00a0${base64} `] },
    merge: { header: 'x-merge-webhook-signature', respell: (base64url) => [base64url.replace(/=+$/, ''), `${base64url.replace(/=+$/, '')}==`, ` ${base64url}\u00a0`] },
  };

  it.each(Object.entries(spellings))('%s: every spelling verifies and yields the delivery id of the original', (name, { header, respell }) => {
    const fixture = fixtureOf(name);
    const request = loadFixture(fixture);
    const provider = source(name);
    const original = provider.parse(request, settings[name]!)[0]!.deliveryId;
    for (const spelling of respell(request.headers[header]!)) {
      const respelled = withHeader(request, header, spelling);
      expect(() => provider.verify(respelled, [manifest.secrets[fixture.secretRef]], new Date(fixture.verifyAtUnix * 1000), settings[name]!)).not.toThrow();
      expect(provider.parse(respelled, settings[name]!)[0]!.deliveryId).toBe(original);
    }
  });

  it('a signature that is not in the encoding at all is refused, not decoded into something else', () => {
    const fixture = fixtureOf('bamboohr');
    const request = withHeader(loadFixture(fixture), 'x-bamboohr-signature', 'not-a-hex-signature');
    const refused = rejection(() => source('bamboohr').verify(request, [manifest.secrets.bamboohr], new Date(fixture.verifyAtUnix * 1000), settings.bamboohr!));
    expect(refused.status).toBe(401);
    expect(refused.message).toMatch(/x-bamboohr-signature/);
  });
});

describe('BambooHR timestamps (point 3)', () => {
  it('refuses a timestamp that is not Unix seconds, even when correctly signed, naming the header', () => {
    const body = Buffer.from(JSON.stringify({ type: 'employee.updated', timestamp: '2026-06-02T10:00:00+0000', data: { employeeId: '7' } }));
    const timestamp = '2026-06-02T10:00:00Z';
    const signature = createHmac('sha256', BAMBOO_SECRET).update(Buffer.concat([body, Buffer.from(timestamp)])).digest('hex');
    const refused = rejection(() => source('bamboohr').verify({ headers: { 'x-bamboohr-timestamp': timestamp, 'x-bamboohr-signature': signature }, body }, [BAMBOO_SECRET], new Date('2026-06-02T10:00:00Z'), settings.bamboohr!));
    expect(refused.status).toBe(401);
    expect(refused.message).toMatch(/^x-bamboohr-timestamp /);
  });
});

describe('worker keys the queue cannot group on (point 5)', () => {
  it.each([
    ['a space', 'E 1'],
    ['a non-ASCII letter', 'É-1'],
    ['129 characters', 'E'.repeat(129)],
    ['"."', '.'],
    ['".."', '..'],
  ])('a key with %s is refused with a 400 naming the key, and nothing is enqueued', async (_what, key) => {
    const { receive, enqueued } = ingestCore();
    const answer = await receive(bambooDelivery([{ id: 'E-ok' }, { id: key }]));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/^worker key of change 2 /);
    expect(enqueued).toEqual([]);
  });

  it('accepts the longest and most unusual key SQS takes', async () => {
    const { receive, enqueued } = ingestCore();
    const keys = ['E'.repeat(128), '!~%/?#.x'];
    expect((await receive(bambooDelivery(keys.map((id) => ({ id }))))).status).toBe(202);
    expect(enqueued.map((message) => message.workerKey)).toEqual(keys);
  });

  it('a key in an API path stays one path segment: "/", "?", "%" are encoded and dot segments refused', () => {
    const origin = 'https://api.example.com';
    const pathOf = (key: string) => new URL(`${origin}/v1/employees/${apiPathSegment(key)}/?fields=a`);
    expect(pathOf('a/../b?c=%2e').pathname).toBe('/v1/employees/a%2F..%2Fb%3Fc%3D%252e/');
    expect(pathOf('..x').pathname).toBe('/v1/employees/..x/');
    for (const dots of ['.', '..']) expect(() => apiPathSegment(dots)).toThrow(/path segment/);
  });
});

describe('BambooHR fetch and Merge fetch put the key in the path through apiPathSegment (point 5)', () => {
  afterEach(() => vi.unstubAllGlobals());

  it.each(['bamboohr', 'merge'])('%s', async (name) => {
    const requested: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => (requested.push(url), new Response('', { status: 404 })));
    const fetchWorker = source(name).fetchWorker!;
    await fetchWorker('a/b?c', { apiUrl: 'https://api.example.com', credentials: 'user:secret', settings: settings[name]! });
    expect(new URL(requested[0]!).pathname).toMatch(/\/a%2Fb%3Fc\/?$/);
    await expect(fetchWorker('..', { apiUrl: 'https://api.example.com', credentials: 'user:secret', settings: settings[name]! })).rejects.toThrow(/path segment/);
    expect(requested).toHaveLength(1);
  });
});

describe('the number of changes in one delivery (point 6)', () => {
  it(`accepts ${MAX_CHANGES_PER_DELIVERY} changes`, async () => {
    const { receive, enqueued } = ingestCore();
    const answer = await receive(bambooDelivery(Array.from({ length: MAX_CHANGES_PER_DELIVERY }, (_, index) => ({ id: `E-${index}` }))));
    expect(answer).toMatchObject({ status: 202, body: { accepted: MAX_CHANGES_PER_DELIVERY } });
    expect(enqueued).toHaveLength(MAX_CHANGES_PER_DELIVERY);
  });

  it('refuses one more with a 413 naming the limit, and enqueues nothing', async () => {
    expect(MAX_CHANGES_PER_DELIVERY).toBe(100);
    const { receive, enqueued } = ingestCore();
    const answer = await receive(bambooDelivery(Array.from({ length: MAX_CHANGES_PER_DELIVERY + 1 }, (_, index) => ({ id: `E-${index}` }))));
    expect(answer.status).toBe(413);
    expect(answer.body.error).toMatch(/101 worker changes; the limit is 100/);
    expect(enqueued).toEqual([]);
  });
});

/** An SQS client that answers each SendMessageBatch with `answer` (by attempt) and records what was sent. */
function scriptedSqs(answer: (entries: NonNullable<SendMessageBatchCommand['input']['Entries']>, attempt: number) => SendMessageBatchResult) {
  const sent: Array<NonNullable<SendMessageBatchCommand['input']['Entries']>> = [];
  const client = {
    send: async (command: SendMessageBatchCommand) => {
      const entries = command.input.Entries!;
      sent.push(entries);
      return answer(entries, sent.length - 1);
    },
  } as unknown as SQSClient;
  return { client, sent };
}

const succeeded = (entries: NonNullable<SendMessageBatchCommand['input']['Entries']>) => entries.map((entry) => ({ Id: entry.Id!, MessageId: `m-${entry.Id}`, MD5OfMessageBody: '' }));
const queueUrls = { events: 'https://sqs.local/events.fifo', urgent: 'https://sqs.local/urgent.fifo' };

async function bambooMessages(employees: Parameters<typeof bambooDelivery>[0]): Promise<WorkerEventMessage[]> {
  const request = bambooDelivery(employees);
  return source('bamboohr').parse(request, settings.bamboohr!).map((change) => ({ version: 1, provider: 'bamboohr', receivedAt: new Date(NOW_UNIX * 1000).toISOString(), ...change }));
}

describe('two changes of one worker in one delivery (point 4)', () => {
  it('get distinct deduplication ids, and a retry of the delivery gets the same ones', async () => {
    const messages = await bambooMessages([
      { id: '42', action: 'Updated', fields: { 'Work Email': 'a@example.com', Status: 'Active', 'Termination Date': '2099-01-01' } },
      { id: '42', action: 'Updated', fields: { 'Work Email': 'a@example.com', Status: 'Inactive', 'Termination Date': '2026-01-01' } },
    ]);
    const { client, sent } = scriptedSqs((entries) => ({ Successful: succeeded(entries), Failed: [] }));
    const publisher = new SqsEventPublisher(client, queueUrls);
    await publisher.publish(messages);
    // The retry arrives later: a different receipt time must not make it new.
    await publisher.publish(messages.map((message) => ({ ...message, receivedAt: new Date().toISOString() })));
    const [first, retry] = sent.map((entries) => entries.map((entry) => entry.MessageDeduplicationId));
    expect(new Set(first).size).toBe(2);
    expect(retry).toEqual(first);
  });
});

describe('a partial SendMessageBatch failure (point 7)', () => {
  const twelve = () => bambooMessages(Array.from({ length: 12 }, (_, index) => ({ id: `E-${index}` })));

  it('re-sends only the failed entries, with their deduplication ids, until SQS takes them', async () => {
    const { client, sent } = scriptedSqs((entries, attempt) =>
      attempt === 0 ? { Successful: succeeded(entries.slice(1)), Failed: [{ Id: entries[0]!.Id!, SenderFault: false, Code: 'InternalError' }] } : { Successful: succeeded(entries), Failed: [] },
    );
    await new SqsEventPublisher(client, queueUrls, { budgetMs: 2_000, firstDelayMs: 1 }).publish(await twelve());
    expect(sent.map((entries) => entries.length)).toEqual([10, 1, 2]);
    expect(sent[1]![0]!.MessageDeduplicationId).toBe(sent[0]![0]!.MessageDeduplicationId);
  });

  it('gives up with a PublishIncomplete once its time budget is spent, counting what was not sent', async () => {
    const { client } = scriptedSqs((entries) => ({ Successful: succeeded(entries.slice(1)), Failed: [{ Id: entries[0]!.Id!, SenderFault: false, Code: 'ServiceUnavailable' }] }));
    const publishing = new SqsEventPublisher(client, queueUrls, { budgetMs: 50, firstDelayMs: 10 }).publish(await twelve());
    await expect(publishing).rejects.toBeInstanceOf(PublishIncomplete);
    await expect(publishing).rejects.toMatchObject({ unsent: 3, total: 12 });
  });

  it('does not retry what SQS says the sender got wrong', async () => {
    const { client, sent } = scriptedSqs((entries) => ({ Successful: succeeded(entries.slice(1)), Failed: [{ Id: entries[0]!.Id!, SenderFault: true, Code: 'InvalidMessageContents' }] }));
    await expect(new SqsEventPublisher(client, queueUrls, { budgetMs: 5_000, firstDelayMs: 1 }).publish(await twelve())).rejects.toBeInstanceOf(PublishIncomplete);
    expect(sent).toHaveLength(1);
  });

  it('is answered 503 by the ingest, so the sender retries the whole delivery', async () => {
    const { receive, enqueued } = ingestCore(async (messages) => {
      throw new PublishIncomplete(1, messages.length, 'InternalError: try again');
    });
    const answer = await receive(bambooDelivery([{ id: 'E-1' }, { id: 'E-2' }]));
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatch(/1 of 2 .*retry/);
    expect(enqueued).toEqual([]);
  });
});
