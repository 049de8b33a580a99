import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerEventMessageSchema, type WorkerEventMessage } from '../../lib/queue/message.js';
import type { Lane } from '../../lib/queue/queues.js';
import { sqsClient } from '../../lib/runtime/aws.js';
import { allProvidersConfig, loadFixture, manifest } from '../support/fixtures.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/** Every signed fixture through the real ingest handler and HTTP front, into the real FIFO queue (the worker is not running). */
let runtime: TestRuntime;
let now = new Date();
const secrets = { GENERIC_WEBHOOK_SECRET: 'standard', BAMBOOHR_WEBHOOK_SECRET: 'bamboohr', HIBOB_WEBHOOK_SECRET: 'hibob', MERGE_WEBHOOK_SECRET: 'merge', FINCH_WEBHOOK_SECRET: 'finch' } as const;

beforeAll(async () => {
  for (const [variable, scheme] of Object.entries(secrets)) process.env[variable] = manifest.secrets[scheme];
  runtime = await startTestRuntime(allProvidersConfig, { clock: () => now, startWorker: false });
  // startTestRuntime sets the generic secret to its own; these tests use the manifest's.
  process.env.GENERIC_WEBHOOK_SECRET = manifest.secrets.standard;
});
afterAll(() => runtime?.stop());

/** The one message waiting in either lane, and the lane it was in. */
async function takeMessage(): Promise<{ lane: Lane; message: WorkerEventMessage }> {
  const sqs = sqsClient();
  const received = await Promise.all(
    (Object.keys(runtime.queues) as Lane[]).map(async (lane) => {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: runtime.queues[lane].url, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['MessageGroupId'] }));
      return Messages?.map((message) => ({ lane, message })) ?? [];
    }),
  );
  const [found, ...others] = received.flat();
  expect(others).toEqual([]);
  await sqs.send(new DeleteMessageCommand({ QueueUrl: runtime.queues[found!.lane].url, ReceiptHandle: found!.message.ReceiptHandle }));
  const parsed = WorkerEventMessageSchema.parse(JSON.parse(found!.message.Body!));
  expect(found!.message.Attributes?.MessageGroupId).toBe(parsed.workerKey);
  return { lane: found!.lane, message: parsed };
}

/** Deliveries that can take access away travel the urgent lane; a thin update might be a termination, so it does too. */
const expectedLane = ({ hint, needsFetch }: { hint: string; needsFetch: boolean }): Lane =>
  ['terminate', 'delete', 'schedule-deprovision'].includes(hint) || (hint === 'update' && needsFetch) ? 'urgent' : 'events';

const post = (provider: string, headers: Record<string, string>, body: Buffer | string) =>
  fetch(`${runtime.url}/webhooks/${provider}`, { method: 'POST', headers, body }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }));

describe('each reference fixture, end to end through the ingest handler', () => {
  it.each(manifest.fixtures.map((fixture) => [fixture.file, fixture] as const))('%s is verified, normalized and enqueued', async (_file, fixture) => {
    now = new Date(fixture.verifyAtUnix * 1000);
    const request = loadFixture(fixture);
    const response = await post(fixture.provider, request.rawHeaders, request.body);
    expect(response).toEqual({ status: 202, body: { accepted: 1, deliveryId: expect.any(String) } });

    const { lane, message } = await takeMessage();
    // Thin updates cannot be told apart from terminations before the fetch, so they go urgent too.
    expect(lane).toBe(expectedLane(fixture.expect));
    expect(message).toMatchObject({ provider: fixture.provider, deliveryId: response.body.deliveryId, subject: { kind: fixture.expect.hint === 'delete' ? 'removed' : expect.any(String) } });
    if (fixture.provider !== 'merge') expect(message.workerKey).toBe(fixture.expect.externalId);
    if (message.subject.kind === 'record' && fixture.expect.workEmail) expect(message.subject.worker.workEmail).toBe(fixture.expect.workEmail);
    expect(await runtime.queueDepth()).toBe(0);
  });
});

describe('refusals and replays through the ingest handler enqueue nothing', () => {
  const fixture = manifest.fixtures.find((candidate) => candidate.file === 'bamboohr/employee.updated.termination.json')!;

  it('answers a replayed delivery 200 duplicate, for every provider', async () => {
    // The loop above accepted every fixture once; each comes back as a replay now.
    for (const replayed of manifest.fixtures) {
      now = new Date(replayed.verifyAtUnix * 1000);
      const request = loadFixture(replayed);
      expect(await post(replayed.provider, request.rawHeaders, request.body)).toEqual({ status: 200, body: { accepted: 0, duplicate: true, deliveryId: expect.any(String) } });
    }
    expect(await runtime.queueDepth()).toBe(0);
  });

  it.each([
    ['a flipped body byte', (body: Buffer) => Buffer.from(body.toString().replace('"612"', '"613"')), (headers: Record<string, string>) => headers, 401, /does not match/],
    ['a missing header', (body: Buffer) => body, (headers: Record<string, string>) => ({ ...headers, 'X-BambooHR-Signature': '' }), 401, /missing x-bamboohr-signature/],
    ['a stale timestamp', (body: Buffer) => body, (headers: Record<string, string>) => headers, 401, /from now/],
  ] as const)('answers %s with a precise 4xx', async (what, body, headers, status, message) => {
    now = new Date((fixture.verifyAtUnix + (what === 'a stale timestamp' ? 4 * 3600 : 0)) * 1000);
    const request = loadFixture(fixture);
    const response = await post('bamboohr', headers(request.rawHeaders), body(request.body));
    expect(response.status).toBe(status);
    expect(response.body.error).toMatch(message);
    expect(await runtime.queueDepth()).toBe(0);
  });

  it('answers the HiBob setup ping 200 and enqueues nothing', async () => {
    expect(await post('hibob', { 'content-type': 'text/plain' }, 'Ping test')).toEqual({ status: 200, body: { accepted: 0, handshake: true } });
    expect(await runtime.queueDepth()).toBe(0);
  });
});
