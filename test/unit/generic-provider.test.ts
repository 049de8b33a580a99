import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { genericProvider } from '../../lib/hris/generic.js';
import { WebhookRejection, type WebhookRequest } from '../../lib/hris/provider.js';

/** The signed fixtures from the shared reference, copied byte for byte (see .gitattributes). */
const root = 'test/fixtures/hris';
const manifest = JSON.parse(readFileSync(`${root}/manifest.json`, 'utf8')) as {
  secrets: Record<string, string>;
  fixtures: Array<{ file: string; headers: string; provider: string; verifyAtUnix: number; expect: { hint: string; externalId?: string } & Record<string, unknown> }>;
};
const secret = manifest.secrets.standard!;
const generic = manifest.fixtures.filter((fixture) => fixture.provider === 'generic');

function load(fixture: (typeof generic)[number]): WebhookRequest {
  const headers = JSON.parse(readFileSync(`${root}/${fixture.headers}`, 'utf8')) as Record<string, string>;
  return { headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])), body: readFileSync(`${root}/${fixture.file}`) };
}
const at = (unix: number) => new Date(unix * 1000);

function rejection(run: () => unknown): WebhookRejection {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookRejection);
    return error as WebhookRejection;
  }
  throw new Error('expected a rejection');
}

describe('the generic provider on the signed reference fixtures', () => {
  it('has the three generic fixtures', () => expect(generic.map((fixture) => fixture.file)).toHaveLength(3));

  it.each(generic.map((fixture) => [fixture.file, fixture] as const))('verifies and normalizes %s', (_file, fixture) => {
    const request = load(fixture);
    expect(() => genericProvider.verify(request, [secret], at(fixture.verifyAtUnix))).not.toThrow();
    const [event] = genericProvider.parse(request);
    expect(event!.deliveryId).toBe(request.headers['webhook-id']);
    expect(event!.worker.externalId).toBe(JSON.parse(request.body.toString()).data.worker.externalId);
    expect(event!.worker.workEmail).toMatch(/@example\.com$/);
  });

  const hired = generic.find((fixture) => fixture.file.endsWith('worker.hired.json'))!;

  it('accepts either of two secrets during a rotation, and a header listing several signatures', () => {
    const request = load(hired);
    expect(() => genericProvider.verify(request, ['whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0LW9sZA==', secret], at(hired.verifyAtUnix))).not.toThrow();
    const listed = { ...request, headers: { ...request.headers, 'webhook-signature': `v1,AAAA ${request.headers['webhook-signature']}` } };
    expect(() => genericProvider.verify(listed, [secret], at(hired.verifyAtUnix))).not.toThrow();
  });

  it('refuses a flipped body byte, the wrong secret, a missing header and a stale or future timestamp', () => {
    const request = load(hired);
    const flipped = Buffer.from(request.body);
    flipped[10] = flipped[10]! ^ 1;
    const when = at(hired.verifyAtUnix);
    expect(rejection(() => genericProvider.verify({ ...request, body: flipped }, [secret], when)).status).toBe(401);
    expect(rejection(() => genericProvider.verify(request, [manifest.secrets.finch!], when)).message).toMatch(/does not match/);
    expect(rejection(() => genericProvider.verify({ ...request, headers: { ...request.headers, 'webhook-id': undefined } }, [secret], when)).message).toBe('missing webhook-id header');
    expect(rejection(() => genericProvider.verify(request, [secret], at(hired.verifyAtUnix + 301))).message).toMatch(/301 s from now/);
    expect(rejection(() => genericProvider.verify(request, [secret], at(hired.verifyAtUnix - 301))).message).toMatch(/301 s from now/);
    expect(() => genericProvider.verify(request, [secret], at(hired.verifyAtUnix + 299))).not.toThrow();
  });

  it('names the bad field of a malformed body', () => {
    const body = Buffer.from(JSON.stringify({ type: 'worker.hired', timestamp: 'yesterday', data: { worker: { externalId: 'E-1', status: 'active' } } }));
    expect(rejection(() => genericProvider.parse({ headers: { 'webhook-id': 'x' }, body })).message).toBe('timestamp: must be an RFC 3339 date-time');
    expect(rejection(() => genericProvider.parse({ headers: { 'webhook-id': 'x' }, body: Buffer.from('{"type": "worker.fired"') })).message).toBe('body is not valid JSON');
  });
});
