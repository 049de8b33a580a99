import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allProvidersConfig, manifest } from '../support/fixtures.js';
import { genericDelivery, worker } from '../support/generic-events.js';
import type { TestRuntime } from '../support/local-runtime.js';
import { sign, type Scheme } from '../support/sign.js';

/**
 * Adversarial input against every provider's ingest path, over HTTP through the real handler:
 * whatever arrives, the answer is a 2xx or a 4xx (never a crash or a 5xx), and nothing is enqueued
 * without a valid signature. Everything the run logs (at DEBUG) is then searched for secrets.
 */
const providers = ['generic', 'bamboohr', 'hibob', 'merge', 'finch'] as const;
const secretOf: Record<string, Scheme> = { generic: 'standard', bamboohr: 'bamboohr', hibob: 'hibob', merge: 'merge', finch: 'finch' };
const signatureHeaders: Record<string, string[]> = {
  generic: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
  bamboohr: ['x-bamboohr-signature', 'x-bamboohr-timestamp'],
  hibob: ['bob-signature'],
  merge: ['x-merge-webhook-signature'],
  finch: ['finch-event-id', 'finch-timestamp', 'finch-signature'],
};

let runtime: TestRuntime;
const logged: string[] = [];
const writeStdout = process.stdout.write.bind(process.stdout);
const writeStderr = process.stderr.write.bind(process.stderr);
const sentSignatures: string[] = [];

beforeAll(async () => {
  // Log everything this run does, and keep it for the scan.
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  const capture = (write: typeof writeStdout) => ((chunk: string | Uint8Array, ...rest: unknown[]) => (logged.push(String(chunk)), (write as (...args: unknown[]) => boolean)(chunk, ...rest))) as typeof writeStdout;
  process.stdout.write = capture(writeStdout);
  process.stderr.write = capture(writeStderr);
  for (const provider of providers) process.env[`${provider.toUpperCase()}_WEBHOOK_SECRET`] = manifest.secrets[secretOf[provider]!];
  const { startTestRuntime } = await import('../support/local-runtime.js');
  runtime = await startTestRuntime(allProvidersConfig, { startWorker: false });
  process.env.GENERIC_WEBHOOK_SECRET = manifest.secrets.standard;
});
afterAll(async () => {
  await runtime?.stop();
  process.stdout.write = writeStdout;
  process.stderr.write = writeStderr;
});

const post = async (provider: string, headers: Record<string, string>, body: Uint8Array) => {
  const response = await fetch(`${runtime.url}/webhooks/${provider}`, { method: 'POST', headers, body });
  await response.arrayBuffer();
  return response.status;
};

const bodies = fc.oneof(
  fc.json().map((text) => Buffer.from(text)),
  fc.string({ maxLength: 500 }).map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)),
  fc.constantFrom(Buffer.from('\uFEFF{"type":"worker.hired"}'), Buffer.from([0xff, 0xfe, 0x00, 0x7b]), Buffer.from('Ping test'), Buffer.alloc(300 * 1024, 0x7b)),
);
const headerValues = fc.oneof(fc.string({ maxLength: 120 }).filter((value) => /^[\x20-\x7e]*$/.test(value)), fc.constantFrom('v1,AAAA', 'v1,' + 'A'.repeat(44), '0', '9999999999', String(Math.floor(Date.now() / 1000)), ''));

describe('fuzzing every provider’s ingest path', () => {
  it.each(providers)('%s: random bodies, encodings, headers and sizes get a 2xx or 4xx, and nothing is enqueued', async (provider) => {
    await fc.assert(
      fc.asyncProperty(bodies, fc.subarray(signatureHeaders[provider]!), fc.array(headerValues, { minLength: 3, maxLength: 3 }), fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'), async (body, names, values, contentType) => {
        const headers: Record<string, string> = { 'content-type': contentType };
        names.forEach((name, index) => (headers[name] = values[index] ?? ''));
        const status = await post(provider, headers, body);
        expect(status === 200 || (status >= 400 && status < 500)).toBe(true);
      }),
      { numRuns: 80 },
    );
    expect(await runtime.queueDepth()).toBe(0);
  });

  it('a correct signature over random bytes is a 4xx naming the problem, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...providers), fc.uint8Array({ maxLength: 400 }), async (provider, bytes) => {
        const body = Buffer.from(bytes);
        const headers = sign(secretOf[provider]!, body, manifest.secrets[secretOf[provider]!], Math.floor(Date.now() / 1000));
        const status = await post(provider, headers, body);
        expect(status === 200 || status === 400).toBe(true);
      }),
      { numRuns: 60 },
    );
    expect(await runtime.queueDepth()).toBe(0);
  });

  it('a replayed delivery is deduplicated: enqueued once', async () => {
    const delivery = genericDelivery('worker.hired', worker(), { secret: manifest.secrets.standard });
    sentSignatures.push(delivery.headers['webhook-signature']!);
    expect(await post('generic', delivery.headers, Buffer.from(delivery.body))).toBe(202);
    for (let replay = 0; replay < 3; replay++) expect(await post('generic', delivery.headers, Buffer.from(delivery.body))).toBe(200);
    expect(await runtime.queueDepth()).toBe(1);
  });
});

describe('the logs of this whole run', () => {
  it('contain no secret, token or signature', async () => {
    // Make the product use Bitwarden too, so tokens exist and could leak.
    runtime.workers.urgent.start();
    runtime.workers.events.start();
    const delivery = genericDelivery('worker.terminated', { ...worker(), status: 'terminated', terminationDate: '2026-01-01' }, { secret: manifest.secrets.standard });
    sentSignatures.push(delivery.headers['webhook-signature']!);
    const processed = runtime.processed(delivery.id);
    expect(await post('generic', delivery.headers, Buffer.from(delivery.body))).toBe(202);
    await processed;

    const text = logged.join('');
    expect(text).toMatch(/"level":"(DEBUG|INFO)"/); // the scan reads real log lines
    const tokens = runtime.bitwarden!.tokenRequests().map((exchange) => (exchange.response as { access_token?: string })?.access_token).filter(Boolean) as string[];
    expect(tokens.length).toBeGreaterThan(0);
    const forbidden = [...Object.values(manifest.secrets), runtime.bitwarden!.clientSecret, ...tokens, ...sentSignatures.map((signature) => signature.slice(3))];
    for (const secret of forbidden) expect(text.includes(secret), `a secret appears in the logs: ${secret.slice(0, 6)}…`).toBe(false);
  });
});
