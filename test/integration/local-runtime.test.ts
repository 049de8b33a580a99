import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpApiHandler } from '../../lib/local/http-server.js';
import type { LoopbackServer } from '../../lib/local/loopback-server.js';

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const accepted: HttpApiHandler = async () => ({ statusCode: 202, body: '{}' });

async function serve(ingest: HttpApiHandler, timeouts?: Parameters<typeof startHttpServer>[3]): Promise<string> {
  const server = await startHttpServer(0, ingest, { '/healthz': () => ({ status: 'ok' }) }, timeouts);
  servers.push(server);
  return server.url;
}

/** Sends `raw` on one connection and resolves with everything the server wrote before it closed the connection. */
function exchange(url: string, raw: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(raw));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

describe('the local HTTP server (npm start)', () => {
  it('answers a malformed percent-encoded path with 400 and keeps serving', async () => {
    const url = await serve(accepted);
    const response = await fetch(`${url}/webhooks/%E0%A4%A`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringContaining('percent-encoding') });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('answers 500 with a generic message when handling a request fails, and keeps serving', async () => {
    const url = await serve(async () => {
      throw new Error('secret detail of the failure');
    });
    const response = await fetch(`${url}/webhooks/generic`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('secret detail');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it('gives up on a request whose body never finishes (408) and keeps serving', async () => {
    const url = await serve(accepted, { requestMs: 300, headersMs: 300 });
    const answer = await exchange(url, 'POST /webhooks/generic HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{"partial":');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});

const MAIN = path.resolve('lib/local/main.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const CONFIG = 'rules:\n  - id: everyone\n    groups: [All Staff]\n';

/** Kills what a failed test leaves running: its npm start and the services that one started. */
const leftovers: Array<() => void> = [];
afterEach(() => {
  for (const kill of leftovers.splice(0)) kill();
});

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The DynamoDB Local and fauxqs processes it started, from its debug log. */
  servicePids: number[];
  /** Whether its .local/runtime.json was still there after it ended. */
  leftRuntimeFile: boolean;
}

interface NpmStart {
  signal(signal: NodeJS.Signals): void;
  /** Resolves when it accepts webhooks. */
  ready: Promise<void>;
  ended: Promise<Ended>;
  /** Its working directory: where it writes .local/runtime.json. */
  cwd: string;
}

/**
 * `npm start` as a child process, in a directory of its own, on a free port. `preload` is an extra
 * module it imports first (to make it fail as a test needs), `env` overrides its environment.
 */
function npmStart(options: { config?: string; preload?: string; env?: Record<string, string> } = {}): NpmStart {
  const cwd = mkdtempSync(path.join(tmpdir(), 'npm-start-'));
  writeFileSync(path.join(cwd, 'lifecycle.yaml'), options.config ?? CONFIG);
  // It starts its own DynamoDB Local, fauxqs and Bitwarden emulator: none of this process's endpoints.
  const { AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS, BITWARDEN_API_URL, ...inherited } = process.env;
  const env = { ...inherited, PORT: '0', LIFECYCLE_CONFIG: path.join(cwd, 'lifecycle.yaml'), SWEEP_INTERVAL_SECONDS: '0', POWERTOOLS_LOG_LEVEL: 'DEBUG', ...options.env };
  const imports = ['--import', TSX, ...(options.preload ? ['--import', `data:text/javascript,${encodeURIComponent(options.preload)}`] : [])];
  const child = spawn(process.execPath, [...imports, MAIN], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  leftovers.push(() => {
    child.kill('SIGKILL');
    for (const pid of servicePids(stdout).filter(alive)) process.kill(pid, 'SIGKILL');
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('lifecycle ready')) resolve();
    });
    child.once('exit', () => reject(new Error(`npm start ended before it was ready: ${stderr}`)));
  });
  // Only the tests that wait for it to be ready care that it never was.
  ready.catch(() => undefined);
  const ended = new Promise<Ended>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr, servicePids: servicePids(stdout), leftRuntimeFile: existsSync(path.join(cwd, '.local', 'runtime.json')) })),
  );
  return { signal: (signal) => child.kill(signal), ready, ended, cwd };
}

function servicePids(stdout: string): number[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { message?: string; pid?: number })
    .filter((entry) => entry.message === 'local service started' && entry.pid !== undefined)
    .map((entry) => entry.pid!);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const lines = (text: string) => text.trim().split('\n');

describe('npm start, however it stops', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('on %s: stops DynamoDB Local and fauxqs, removes its runtime file, says so and exits 0', async (signal) => {
    const start = npmStart();
    await start.ready;
    expect(existsSync(path.join(start.cwd, '.local', 'runtime.json'))).toBe(true);
    start.signal(signal);
    const ended = await start.ended;

    expect(ended.code).toBe(0);
    expect(ended.servicePids).toHaveLength(2);
    expect(ended.servicePids.filter(alive)).toEqual([]);
    expect(ended.leftRuntimeFile).toBe(false);
    expect(lines(ended.stdout)).toContain(`lifecycle stopped: ${signal}`);
  }, 60_000);

  it.each([
    ['an uncaught exception', "process.on('SIGUSR2', () => { throw new Error('boom'); });", 'lifecycle stopped: uncaught exception: boom'],
    ['an unhandled rejection', "process.on('SIGUSR2', () => { Promise.reject(new Error('boom')); });", 'lifecycle stopped: unhandled rejection: boom'],
  ])('on %s: stops its services, removes its runtime file, says why in one line and exits 1', async (_case, preload, line) => {
    const start = npmStart({ preload });
    await start.ready;
    start.signal('SIGUSR2');
    const ended = await start.ended;

    expect(ended.code).toBe(1);
    expect(ended.servicePids).toHaveLength(2);
    expect(ended.servicePids.filter(alive)).toEqual([]);
    expect(ended.leftRuntimeFile).toBe(false);
    expect(lines(ended.stderr)).toEqual([line]);
  }, 60_000);

  it('with a config file it cannot load: says which field in one line and exits 1', async () => {
    const ended = await npmStart({ config: `${CONFIG}    departmant: Engineering\n` }).ended;

    expect(ended.code).toBe(1);
    expect(lines(ended.stderr)).toEqual([expect.stringMatching(/^lifecycle stopped: could not start: .*unknown field\(s\) "departmant"/)]);
    expect(ended.servicePids.filter(alive)).toEqual([]);
    expect(ended.leftRuntimeFile).toBe(false);
  }, 60_000);

  it('without Java: stops the fauxqs it had started, says why in one line and exits 1', async () => {
    const ended = await npmStart({ env: { PATH: mkdtempSync(path.join(tmpdir(), 'no-java-')) } }).ended;

    expect(ended.code).toBe(1);
    expect(lines(ended.stderr)).toEqual([expect.stringMatching(/^lifecycle stopped: could not start: DynamoDB Local .*Java/)]);
    expect(ended.servicePids).toHaveLength(1);
    expect(ended.servicePids.filter(alive)).toEqual([]);
  }, 60_000);
});
