import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { findSource } from '../../lib/sources/registry.js';
import type { Source, SourceSettings, WebhookRequest } from '../../lib/sources/source.js';
import { allProvidersConfig, loadFixture, manifest, type Fixture } from '../support/fixtures.js';
import { sign, type Scheme } from '../support/sign.js';
import { rejection } from '../support/rejection.js';

const settings = parseConfig(allProvidersConfig).providers;
const providerOf = (name: string) => findSource(name)!;
/** Each source gets only its own settings, as the ingest hands them over. */
const own = (provider: Source, all: Record<string, SourceSettings | undefined> = settings) => all[provider.name]!;
const at = (unix: number) => new Date(unix * 1000);

/** The worker key each fixture must yield. Merge is keyed by its own employee id (Employment events carry only that). */
function expectedKey(fixture: Fixture, request: WebhookRequest): string {
  if (fixture.provider !== 'merge') return fixture.expect.externalId!;
  const data = JSON.parse(request.body.toString()).data;
  return fixture.event.startsWith('Employment') ? data.employee : data.id;
}

describe('every signed reference fixture', () => {
  it('covers the 23 deliveries of the five providers', () => {
    expect(manifest.fixtures).toHaveLength(23);
    expect(new Set(manifest.fixtures.map((fixture) => fixture.provider))).toEqual(new Set(['generic', 'bamboohr', 'hibob', 'merge', 'finch']));
  });

  it.each(manifest.fixtures.map((fixture) => [fixture.file, fixture] as const))('%s: verifies and normalizes as the manifest expects', (_file, fixture) => {
    const provider = providerOf(fixture.provider);
    const request = loadFixture(fixture);
    expect(() => provider.verify(request, [manifest.secrets[fixture.secretRef]], at(fixture.verifyAtUnix), own(provider))).not.toThrow();

    const events = provider.parse(request, own(provider));
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event!.workerKey).toBe(expectedKey(fixture, request));
    expect(event!.deliveryId).toMatch(/\S{8,}/);
    expect(Number.isNaN(Date.parse(event!.occurredAt))).toBe(false);

    if (fixture.expect.hint === 'delete') {
      expect(event!.subject).toEqual({ kind: 'removed', workEmail: (fixture.expect.workEmail as string | undefined) ?? null });
    } else if (fixture.expect.needsFetch || fixture.provider === 'merge') {
      // Merge always reads the employee back: title and department need the expanded employments and groups.
      expect(event!.subject).toMatchObject({ kind: 'fetch' });
    } else {
      expect(event!.subject.kind).toBe('record');
      const worker = (event!.subject as { worker: Record<string, unknown> }).worker;
      for (const field of ['workEmail', 'jobTitle', 'department', 'employmentType', 'startDate', 'terminationDate'] as const) {
        if (fixture.expect[field] !== undefined) expect(worker[field]).toBe(fixture.expect[field]);
      }
      if (fixture.expect.hint === 'terminate') expect(worker.status).toBe('terminated');
    }
  });
});

/** One fixture per provider, with what its scheme needs to be tampered with. */
const perProvider = (['generic', 'bamboohr', 'hibob', 'merge', 'finch'] as const).map((name) => {
  const fixture = manifest.fixtures.find((candidate) => candidate.provider === name)!;
  return [name, fixture] as const;
});
const signatureHeader: Record<string, string> = { generic: 'webhook-signature', bamboohr: 'x-bamboohr-signature', hibob: 'bob-signature', merge: 'x-merge-webhook-signature', finch: 'finch-signature' };
const otherSecret = (scheme: Scheme) => (scheme === 'hibob' ? manifest.secrets.merge : manifest.secrets.hibob);

describe.each(perProvider)('%s refuses tampered deliveries', (name, fixture) => {
  const provider: Source = providerOf(name);
  const secret = manifest.secrets[fixture.secretRef];
  const when = at(fixture.verifyAtUnix);
  const request = loadFixture(fixture);

  it('a flipped body byte', () => {
    const body = Buffer.from(request.body);
    body[20] = body[20]! ^ 1;
    expect(rejection(() => provider.verify({ ...request, body }, [secret], when, own(provider))).status).toBe(401);
  });

  it('the wrong secret, but either of two secrets during a rotation', () => {
    expect(rejection(() => provider.verify(request, [otherSecret(fixture.secretRef)], when, own(provider))).message).toMatch(/does not match the body/);
    expect(() => provider.verify(request, [otherSecret(fixture.secretRef), secret], when, own(provider))).not.toThrow();
  });

  it('a missing signature header', () => {
    const headers = { ...request.headers, [signatureHeader[name]!]: undefined };
    expect(rejection(() => provider.verify({ ...request, headers }, [secret], when, own(provider))).message).toBe(`missing ${signatureHeader[name]} header`);
  });

  it('a stale timestamp, where the scheme carries one', () => {
    if (name === 'hibob' || name === 'merge') {
      // No timestamp in these schemes: replays are caught by the delivery id (signature hash) instead.
      expect(provider.parse(request, own(provider))[0]!.deliveryId).toBe(provider.parse(loadFixture(fixture), own(provider))[0]!.deliveryId);
      return;
    }
    const window = name === 'bamboohr' ? (settings.bamboohr as unknown as { timestampToleranceSeconds: number }).timestampToleranceSeconds : 300;
    expect(rejection(() => provider.verify(request, [secret], at(fixture.verifyAtUnix + window + 1), own(provider))).message).toMatch(/from now; deliveries older or newer/);
    expect(() => provider.verify(request, [secret], at(fixture.verifyAtUnix + window - 1), own(provider))).not.toThrow();
  });

  it('a malformed body, signed correctly, with a 400 naming the field', () => {
    const body = name === 'bamboohr' ? '{"type":"employee.updated","timestamp":"2026-01-01T00:00:00+0000","data":{}}' : name === 'finch' ? '{"event_type":"employment.updated","data":{"individual_id":""}}' : name === 'hibob' ? '{"type":"employee.updated","data":{}}' : name === 'merge' ? '{"hook":{},"data":{}}' : '{"type":"worker.hired","timestamp":"2026-01-01T00:00:00Z","data":{"worker":{"externalId":"E-1"}}}';
    const headers = sign(fixture.scheme, body, secret, fixture.verifyAtUnix);
    const signed = { headers, body: Buffer.from(body) };
    expect(() => provider.verify(signed, [secret], when, own(provider))).not.toThrow();
    const refused = rejection(() => provider.parse(signed, own(provider)));
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(/^(data\.employeeId|data\.individual_id|triggeredAt|hook\.event|data\.worker\.status|body|timestamp): /);
    expect(rejection(() => provider.parse({ headers, body: Buffer.from('{"truncated": ') }, own(provider))).message).toBe('body is not valid JSON');
  });
});

describe('provider specifics', () => {
  it('BambooHR field-based: several employees in one POST, values plain or wrapped as {value}, contractor end dates from a custom field', () => {
    const body = JSON.stringify({
      employees: [
        { action: 'Updated', id: 77, timestamp: '2026-03-01T10:00:00+0000', fields: { 'Work Email': { value: 'Ana@Example.com' }, Department: { value: 'Engineering' }, 'Employment Status': { value: 'Contractor' }, 'Contract End Date': { value: '2026-06-30' }, Status: { value: 'Active' } } },
        { action: 'Updated', id: '78', timestamp: '2026-03-01T10:00:01+0000', fields: { 'Work Email': 'ben@example.com', Status: 'Inactive', 'Termination Date': '2026-02-28' } },
        { action: 'Deleted', id: '79', timestamp: '2026-03-01T10:00:02+0000', fields: {} },
      ],
    });
    const events = providerOf('bamboohr').parse({ headers: sign('bamboohr', body, 'k', 1), body: Buffer.from(body) }, settings.bamboohr!);
    expect(events.map((event) => [event.workerKey, event.subject.kind, event.occurredAt])).toEqual([
      ['77', 'record', '2026-03-01T10:00:00.000Z'],
      ['78', 'record', '2026-03-01T10:00:01.000Z'],
      ['79', 'removed', '2026-03-01T10:00:02.000Z'],
    ]);
    expect((events[0]!.subject as { worker: unknown }).worker).toMatchObject({ externalId: '77', workEmail: 'ana@example.com', department: 'Engineering', employmentType: 'contractor', endDate: '2026-06-30', status: 'active' });
    expect((events[1]!.subject as { worker: unknown }).worker).toMatchObject({ status: 'terminated', terminationDate: '2026-02-28' });
    expect(new Set(events.map((event) => event.deliveryId)).size).toBe(1);
  });

  it('BambooHR field names are set per deployment', () => {
    const custom = parseConfig(`providers:\n  bamboohr:\n    fields:\n      endDate: [customEndDate, Last Day]\n      department: Team Name\nrules:\n  - id: a\n    groups: [A]\n`).providers;
    const body = JSON.stringify({ employees: [{ action: 'Updated', id: '5', timestamp: '2026-03-01T10:00:00+0000', fields: { 'Work Email': 'c@example.com', 'Team Name': 'Platform', 'Last Day': '2026-12-31', Department: 'ignored' } }] });
    // Signed: parse reads the delivery id from the signature.
    const [event] = providerOf('bamboohr').parse({ headers: sign('bamboohr', body, 'k', 1), body: Buffer.from(body) }, custom.bamboohr!);
    expect((event!.subject as { worker: unknown }).worker).toMatchObject({ department: 'Platform', endDate: '2026-12-31' });
  });

  it('HiBob: the setup ping is a handshake; real events are not', () => {
    const hibob = providerOf('hibob');
    for (const ping of ['Ping test', '"Ping test"', '{"text":"Ping test"}', '{ "text": "Ping test" }\n']) expect(hibob.isHandshake!({ headers: {}, body: Buffer.from(ping) })).toBe(true);
    expect(hibob.isHandshake!(loadFixture(manifest.fixtures.find((fixture) => fixture.provider === 'hibob')!))).toBe(false);
  });

  it('ignores verified events that concern no worker', () => {
    const none = (name: string, body: unknown) => providerOf(name).parse({ headers: { 'finch-timestamp': '1', 'finch-event-id': 'x' }, body: Buffer.from(JSON.stringify(body)) }, own(providerOf(name)));
    expect(none('finch', { event_type: 'pay_statement.created', data: { individual_id: 'i', payment_id: 'p' } })).toEqual([]);
    expect(none('merge', { hook: { event: 'LinkedAccount.synced' }, data: {} })).toEqual([]);
    expect(none('hibob', { type: 'timeoff.request.created', triggeredAt: '2026-01-01T00:00:00', data: { employeeId: '1' } })).toEqual([]);
  });
});
