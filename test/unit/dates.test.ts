import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { receiveWebhook, type IngestDependencies } from '../../lib/ingest/receive-webhook.js';
import { decide } from '../../lib/policy/decide.js';
import { enabledWebhookSources } from '../../lib/sources/webhook-sources.js';
import { normalizeDate, toInstant } from '../../lib/vocabulary/dates.js';
import { formatPath } from '../../lib/vocabulary/field-path.js';
import { WorkerRecordSchema } from '../../lib/vocabulary/worker-record.js';
import { allProvidersConfig } from '../support/fixtures.js';
import { genericDelivery, worker, type WorkerInput } from '../support/generic-events.js';
import { sign } from '../support/sign.js';

const config = parseConfig(allProvidersConfig);
const record = (overrides: Partial<WorkerInput>) => WorkerRecordSchema.parse(worker(overrides));

/** The first issue the record schema finds, as a 400 would word it. */
function refusal(overrides: Partial<WorkerInput>): string {
  const result = WorkerRecordSchema.safeParse(worker(overrides));
  if (result.success) return 'accepted';
  const issue = result.error.issues[0]!;
  return `${formatPath(issue.path)}: ${issue.message}`;
}

describe('HR dates', () => {
  it('refuses impossible days and times, naming the field', () => {
    expect(refusal({ endDate: '2024-02-30' })).toMatch(/^endDate: must be a real calendar date/);
    expect(refusal({ startDate: '2024-13-01' })).toMatch(/^startDate: /);
    expect(refusal({ terminationDate: '2024-06-30T25:61Z' })).toMatch(/^terminationDate: /);
    expect(refusal({ endDate: '2024-02-30T10:00:00Z' })).toMatch(/^endDate: /);
    expect(refusal({ endDate: '2024-02-29', terminationDate: '2024-06-30T23:30:00+02:00' })).toBe('accepted');
  });

  it('normalizes what HR systems write, and never moves an impossible day to another one', () => {
    expect(normalizeDate('2025-06-30')).toBe('2025-06-30');
    expect(normalizeDate(' 2025-06-30T00:00:00.000+0000 ')).toBe('2025-06-30');
    expect(normalizeDate('2025-06-30T06:00:03+0000')).toBe('2025-06-30T06:00:03.000Z');
    expect(normalizeDate('2025-06-30T04:00:03.551802')).toBe('2025-06-30T04:00:03.551Z');
    expect(normalizeDate('0000-00-00')).toBeNull();
    expect(normalizeDate('')).toBeNull();
    // Left as written, so the record's schema refuses it by name instead of a silent 1 March.
    expect(normalizeDate('2024-02-30T10:00:00Z')).toBe('2024-02-30T10:00:00Z');
    expect(toInstant('2024-02-30T10:00:00Z')).toBeNull();
  });

  it('takes an end or termination in year 2200 or later as none: HR systems write "open-ended" that way', () => {
    expect(record({ endDate: '9999-12-31', terminationDate: '2999-12-31T23:59:59Z' })).toMatchObject({ endDate: null, terminationDate: null });
    expect(record({ endDate: '2199-12-31' }).endDate).toBe('2199-12-31');
    const now = new Date('2026-06-15T12:00:00Z');
    expect(decide(record({ employmentType: 'contractor', endDate: '9999-12-31' }), config.rules, config.policy, now)).toMatchObject({ access: 'member', reevaluateAt: null });
  });

  it('ends a day when the zone starts the next one, also where clocks jump past midnight', () => {
    // America/Santiago skips 2024-09-08 00:00-00:59: the 7th lasts until 01:00 -03:00, which is 04:00Z.
    const santiago = { ...config.policy, timeZone: 'America/Santiago' };
    const contractor = record({ endDate: '2024-09-07' });
    expect(decide(contractor, config.rules, santiago, new Date('2024-09-07T12:00:00Z')).reevaluateAt).toBe('2024-09-08T04:00:00.000Z');
    expect(decide(contractor, config.rules, santiago, new Date('2024-09-08T03:30:00Z')).access).toBe('member');
    expect(decide(contractor, config.rules, santiago, new Date('2024-09-08T04:00:00Z')).access).toBe('revoked');
  });
});

describe('an impossible date at ingest', () => {
  const secret = 'dates-test-secret';
  const ingest: IngestDependencies = {
    sources: enabledWebhookSources({ generic: config.providers.generic, bamboohr: config.providers.bamboohr }),
    secretsFor: async (source) => [source.name === 'generic' ? `whsec_${Buffer.from(secret).toString('base64')}` : secret],
    enqueueOnce: async () => ({ duplicate: false }),
    now: () => new Date(),
  };

  it('is a 400 naming the field in the generic format', async () => {
    const delivery = genericDelivery('worker.updated', worker({ endDate: '2024-02-30' }), { secret: `whsec_${Buffer.from(secret).toString('base64')}` });
    const answer = await receiveWebhook('generic', { headers: delivery.headers, body: Buffer.from(delivery.body) }, ingest);
    expect(answer).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^data\.worker\.endDate: /) } });
  });

  it('is a 400 naming the field in a BambooHR field-based webhook', async () => {
    const body = JSON.stringify({ employees: [{ action: 'Updated', id: '7', timestamp: '2026-03-01T10:00:00+0000', fields: { 'Work Email': 'a@example.com', 'Contract End Date': '2024-02-30' } }] });
    const answer = await receiveWebhook('bamboohr', { headers: sign('bamboohr', body, secret, Math.floor(Date.now() / 1000)), body: Buffer.from(body) }, ingest);
    expect(answer).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^endDate: /) } });
  });
});
