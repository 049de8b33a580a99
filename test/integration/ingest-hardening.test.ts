import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerEventMessage } from '../../lib/queue/message.js';
import { sqsClient } from '../../lib/runtime/aws.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { allProvidersConfig, loadFixture, manifest } from '../support/fixtures.js';
import { genericDelivery, worker } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';
import { sign } from '../support/sign.js';

/**
 * The ingest's hardening, through the real handler, DynamoDB Local (the idempotency records) and
 * the SQS emulator. The workers start only for the end-to-end case, so the queues can be counted.
 */
let runtime: TestRuntime;
const BAMBOO_SECRET = 'bamboohr-integration-secret';

beforeAll(async () => {
  process.env.BAMBOOHR_WEBHOOK_SECRET = BAMBOO_SECRET;
  process.env.HIBOB_WEBHOOK_SECRET = manifest.secrets.hibob;
  runtime = await startTestRuntime(allProvidersConfig, { startWorker: false });
});
afterAll(() => runtime?.stop());

const today = () => new Date().toISOString().slice(0, 10);
const secondsAgo = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

type Employee = { id: string; action: 'Created' | 'Updated' | 'Deleted'; timestamp: string; fields: Record<string, unknown> };
function bambooDelivery(employees: Employee[]) {
  const body = JSON.stringify({ employees });
  return { headers: sign('bamboohr', body, BAMBOO_SECRET, Math.floor(Date.now() / 1000)), body };
}

/** How many messages each post added to both lanes (the workers are stopped, so nothing leaves). */
async function added(post: () => Promise<unknown>): Promise<number> {
  const before = await runtime.queueDepth();
  await post();
  return (await runtime.queueDepth()) - before;
}

describe('replays (point 1)', () => {
  it('a reused webhook-id with another body is a new delivery; the same delivery again is a duplicate', async () => {
    const id = `msg_${randomUUID().replaceAll('-', '')}`;
    const first = genericDelivery('worker.hired', worker(), { secret: TEST_SECRET, id });
    const second = genericDelivery('worker.hired', worker(), { secret: TEST_SECRET, id });

    expect(await added(async () => expect(await runtime.post('generic', first)).toMatchObject({ status: 202, body: { accepted: 1 } }))).toBe(1);
    expect(await added(async () => expect(await runtime.post('generic', second)).toMatchObject({ status: 202, body: { accepted: 1 } }))).toBe(1);
    expect(await added(async () => expect(await runtime.post('generic', first)).toEqual({ status: 200, body: { accepted: 0, duplicate: true, deliveryId: id } }))).toBe(0);
  });
});

describe('a re-spelled signature (point 2)', () => {
  it('is the same HiBob delivery: answered as a duplicate, nothing enqueued', async () => {
    const request = loadFixture(manifest.fixtures.find((fixture) => fixture.provider === 'hibob')!);
    const signature = request.rawHeaders['Bob-Signature']!;
    expect(await added(async () => expect((await runtime.post('hibob', { headers: request.rawHeaders, body: request.text })).status).toBe(202))).toBe(1);
    for (const respelled of [signature.replace(/=+$/, ''), `\u00a0${signature}\u00a0`]) {
      const answer = runtime.post('hibob', { headers: { ...request.rawHeaders, 'Bob-Signature': respelled }, body: request.text });
      expect(await added(async () => expect(await answer).toMatchObject({ status: 200, body: { duplicate: true } }))).toBe(0);
    }
  });
});

describe('a partial SendMessageBatch failure on the real emulator (point 7)', () => {
  it('is answered 503; the retry of the delivery sends everything again, and what had been sent is not doubled', async () => {
    const sqs = sqsClient();
    const urgent = runtime.queues.urgent.url;
    const limit = async (bytes: string) => sqs.send(new SetQueueAttributesCommand({ QueueUrl: urgent, Attributes: { MaximumMessageSize: bytes } }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: urgent, AttributeNames: ['MaximumMessageSize'] }));
    const longFields = Object.fromEntries(['First Name', 'Last Name', 'Job Title', 'Department', 'Division', 'Location'].map((field) => [field, 'x'.repeat(200)]));
    // Both on the urgent lane, in one batch: a removal (small) and a record with a future termination (over the lowered limit).
    const delivery = bambooDelivery([
      { id: `B-${randomUUID().slice(0, 8)}`, action: 'Deleted', timestamp: secondsAgo(60), fields: {} },
      { id: `B-${randomUUID().slice(0, 8)}`, action: 'Updated', timestamp: secondsAgo(59), fields: { 'Work Email': `${randomUUID().slice(0, 8)}@example.com`, ...longFields, 'Termination Date': '2099-12-31' } },
    ]);

    await limit('1024');
    try {
      expect(
        await added(async () => {
          const answer = await runtime.post('bamboohr', delivery);
          expect(answer).toMatchObject({ status: 503 });
          expect(answer.body.error).toMatch(/1 of 2 .*retry/);
        }),
      ).toBe(1);
    } finally {
      await limit(Attributes!.MaximumMessageSize!);
    }
    // Not remembered as accepted: the retry is processed again, and SQS drops the copy of the message it already had.
    expect(await added(async () => expect(await runtime.post('bamboohr', delivery)).toMatchObject({ status: 202, body: { accepted: 2 } }))).toBe(1);
  });
});

describe('two changes of one employee in one BambooHR delivery (point 4)', () => {
  it('are both applied in order: an update, then a termination, ends revoked', async () => {
    for (const lane of Object.values(runtime.workers)) lane.start();
    const id = `B-${randomUUID().slice(0, 8)}`;
    const email = `${randomUUID().slice(0, 8)}@example.com`;
    const isTermination = (message: WorkerEventMessage) => message.workerKey === id && message.subject.kind === 'record' && message.subject.worker.status === 'terminated';
    // Both travel the urgent lane (a termination date, then a termination), so they share a queue and a group.
    const delivery = bambooDelivery([
      { id, action: 'Updated', timestamp: secondsAgo(120), fields: { 'Work Email': email, Status: 'Active', 'Termination Date': '2099-12-31' } },
      { id, action: 'Updated', timestamp: secondsAgo(60), fields: { 'Work Email': email, Status: 'Inactive', 'Termination Date': today() } },
    ]);
    const terminated = runtime.processed(isTermination);
    expect(await runtime.post('bamboohr', delivery)).toMatchObject({ status: 202, body: { accepted: 2 } });
    await terminated;
    expect(runtime.bitwarden!.memberByExternalId(id)).toMatchObject({ email, status: MemberStatus.Revoked });
  });
});

describe('a name with characters SQS refuses in a message body (found by npm run fuzz)', () => {
  it('is queued and applied: U+FFFE and characters above U+FFFF travel as JSON escapes, never a 503 the sender cannot fix', async () => {
    for (const lane of Object.values(runtime.workers)) lane.start();
    const person = worker({ firstName: '\ufffe', lastName: 'Ünal 😀 𠮷' });
    const delivery = genericDelivery('worker.hired', person, { secret: TEST_SECRET });
    const processed = runtime.processed(delivery.id);
    expect((await runtime.post('generic', delivery)).status).toBe(202);
    await processed;
    expect(runtime.bitwarden!.memberByExternalId(person.externalId!)?.status).toBe(MemberStatus.Invited);
  });
});

describe('a sender with more webhooks in flight than the ingest\'s reserved concurrency', () => {
  it('is answered 429 beyond it, as the deployed function URL would: nothing queued or remembered, and the retry is accepted', async () => {
    const throttled = await startTestRuntime(undefined, { startWorker: false, reservedConcurrency: { ingest: 1 } });
    try {
      const deliveries = Array.from({ length: 12 }, () => genericDelivery('worker.hired', worker(), { secret: TEST_SECRET }));
      const before = await throttled.queueDepth();
      const answers = await Promise.all(deliveries.map((delivery) => throttled.post('generic', delivery)));
      const refused = deliveries.filter((_, index) => answers[index]!.status === 429);
      expect(answers.every(({ status }) => status === 202 || status === 429)).toBe(true);
      // One at a time and ten a second: twelve at once cannot all go in.
      expect(refused.length).toBeGreaterThanOrEqual(2);
      expect((await throttled.queueDepth()) - before).toBe(deliveries.length - refused.length);

      // The sender's retries: each throttled delivery goes in once a start is free, as new, not as a duplicate.
      for (const delivery of refused) {
        let answer = await throttled.post('generic', delivery);
        for (const deadline = Date.now() + 5_000; answer.status === 429 && Date.now() < deadline; answer = await throttled.post('generic', delivery)) await new Promise((resolve) => setTimeout(resolve, 50));
        expect(answer).toMatchObject({ status: 202, body: { accepted: 1 } });
      }
      expect((await throttled.queueDepth()) - before).toBe(deliveries.length);
    } finally {
      await throttled.stop();
    }
  });
});
