import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerSource } from '../../lib/sources/registry.js';
import { defineSource, WebhookRejection } from '../../lib/sources/source.js';
import { WorkerRecordSchema } from '../../lib/vocabulary/worker-record.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/**
 * A source is one folder and one registry line: a throwaway source, registered and nothing else,
 * gets its config settings, its route, its local secret and the worker's pipeline.
 */
const received: unknown[] = [];
const acme = defineSource({
  name: 'acme',
  settings: z.strictObject({ enabled: z.boolean().default(true), team: z.string().default('Everyone') }),
  secretEnvVar: 'ACME_WEBHOOK_SECRET',
  localSecret: 'acme-local-secret',
  verify(request, secrets) {
    const signature = Buffer.from(request.headers['x-acme-signature'] ?? '', 'hex');
    const signed = secrets.some((secret) => {
      const expected = createHmac('sha256', secret).update(request.body).digest();
      return expected.length === signature.length && timingSafeEqual(expected, signature);
    });
    if (!signed) throw new WebhookRejection('signature-mismatch', 'x-acme-signature does not match the body');
  },
  parse(request, settings) {
    received.push(settings);
    const body = JSON.parse(request.body.toString('utf8')) as { id: string; email: string; at: string; left?: boolean };
    const worker = WorkerRecordSchema.parse({ externalId: body.id, workEmail: body.email, department: settings.team, status: body.left ? 'terminated' : 'active' });
    return [{ workerKey: body.id, deliveryId: `acme-${randomUUID()}`, eventType: body.left ? 'left' : 'joined', occurredAt: body.at, subject: { kind: 'record', worker } }];
  },
  sign(body, secret) {
    return { 'content-type': 'application/json', 'x-acme-signature': createHmac('sha256', secret).update(body).digest('hex') };
  },
});

let runtime: TestRuntime;
beforeAll(async () => {
  registerSource(acme);
  runtime = await startTestRuntime(`
providers:
  generic: {}
  acme: { team: Platform }
rules:
  - id: everyone
    groups: [All Staff]
  - id: platform
    match: { department: Platform }
    groups: [Engineering]
`);
});
afterAll(() => runtime?.stop());

const delivery = (body: object, secret = acme.localSecret) => {
  const bytes = Buffer.from(JSON.stringify(body));
  return { headers: acme.sign(bytes, secret, new Date(), 'unused'), body: bytes.toString('utf8') };
};

describe('a source added through the registry alone', () => {
  it('is verified: a delivery signed with another secret is refused and enqueues nothing', async () => {
    const refused = await runtime.post('acme', delivery({ id: 'A-1', email: 'a1@example.com', at: new Date().toISOString() }, 'not-the-secret'));
    expect(refused).toEqual({ status: 401, body: { error: 'x-acme-signature does not match the body' } });
    expect(await runtime.queueDepth()).toBe(0);
  });

  it('is enqueued and applied through the same worker, rules and Bitwarden calls as any source', async () => {
    const id = `A-${randomUUID().slice(0, 6)}`;
    const processed = runtime.processed((message) => message.workerKey === id);
    expect((await runtime.post('acme', delivery({ id, email: `${id}@example.com`, at: new Date().toISOString() }))).status).toBe(202);
    await processed;
    expect(runtime.bitwarden!.memberByExternalId(id)).toMatchObject({ email: `${id.toLowerCase()}@example.com`, status: 0, groupNames: ['All Staff', 'Engineering'] });

    const left = runtime.processed((message) => message.workerKey === id && message.eventType === 'left');
    expect((await runtime.post('acme', delivery({ id, email: `${id}@example.com`, at: new Date().toISOString(), left: true }))).status).toBe(202);
    await left;
    expect(runtime.bitwarden!.memberByExternalId(id)?.status).toBe(-1);
  });

  it('receives only its own settings, validated by its own schema', () => {
    expect(received.at(-1)).toEqual({ enabled: true, team: 'Platform' });
  });
});
