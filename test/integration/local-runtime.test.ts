import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type FunctionUrlHandler } from '../../lib/local/http-server.js';
import type { LoopbackServer } from '../../lib/local/loopback-server.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const accepted: FunctionUrlHandler = async () => ({ statusCode: 202, body: '{}' });

async function serve(ingest: FunctionUrlHandler, timeouts?: Parameters<typeof startHttpServer>[3]): Promise<string> {
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
  it('hands the path to the handler as a function URL does, still percent-encoded, and SCIM paths to the SCIM handler', async () => {
    const seen: Array<[string, string]> = [];
    const recording = (name: string): FunctionUrlHandler => async (event) => (seen.push([name, event.rawPath]), { statusCode: 202, body: '{}' });
    const server = await startHttpServer(0, recording('ingest'), {}, undefined, recording('scim'));
    servers.push(server);
    await fetch(`${server.url}/webhooks/%E0%A4%A`, { method: 'POST', body: '{}' });
    await fetch(`${server.url}/v2/org%201/Users`);
    await fetch(`${server.url}/anything`);
    expect(seen).toEqual([['ingest', '/webhooks/%E0%A4%A'], ['scim', '/v2/org%201/Users'], ['ingest', '/anything']]);
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
const DEMO = path.resolve('scripts/demo.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const CONFIG = 'rules:\n  - id: everyone\n    groups: [All Staff]\n';

/** Kills what a failed test leaves running: its npm start and the services that one started. */
const leftovers: Array<() => void> = [];
afterEach(() => {
  for (const kill of leftovers.splice(0)) kill();
});

interface LocalService {
  name: string;
  pid: number;
}

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The DynamoDB Local and fauxqs processes it started, from its debug log. */
  services: LocalService[];
  /** Whether its .local/runtime.json was still there after it ended. */
  leftRuntimeFile: boolean;
}

interface NpmStart {
  signal(signal: NodeJS.Signals): void;
  /** Resolves with its webhook base URL when it accepts webhooks. */
  ready: Promise<string>;
  /** Resolves when its output so far matches `pattern`; rejects if it ends first. */
  printed(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<void>;
  ended: Promise<Ended>;
  /** Its working directory: where it writes .local/runtime.json. */
  cwd: string;
  /** The config file it runs with. */
  config: string;
}

/**
 * `npm start` as a child process, in a directory of its own, on a free port. `preload` is an extra
 * module it imports first (to make it fail as a test needs), `env` overrides its environment.
 */
function npmStart(options: { config?: string; preload?: string; env?: Record<string, string> } = {}): NpmStart {
  const cwd = mkdtempSync(path.join(tmpdir(), 'npm-start-'));
  const config = path.join(cwd, 'lifecycle.yaml');
  writeFileSync(config, options.config ?? CONFIG);
  // It starts its own DynamoDB Local, fauxqs and Bitwarden emulator: none of this process's endpoints.
  const { AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS, BITWARDEN_API_URL, ...inherited } = process.env;
  const env = { ...inherited, PORT: '0', LIFECYCLE_CONFIG: config, SWEEP_INTERVAL_SECONDS: '0', POWERTOOLS_LOG_LEVEL: 'DEBUG', ...options.env };
  const imports = ['--import', TSX, ...(options.preload ? ['--import', `data:text/javascript,${encodeURIComponent(options.preload)}`] : [])];
  const child = spawn(process.execPath, [...imports, MAIN], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  leftovers.push(() => {
    child.kill('SIGKILL');
    for (const { pid } of startedServices(output.stdout).filter(({ pid }) => alive(pid))) process.kill(pid, 'SIGKILL');
  });
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  // 'close': its output has all been read.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const printed = (stream: 'stdout' | 'stderr', pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(output[stream])) return false;
        child[stream].off('data', check);
        resolve();
        return true;
      };
      if (check()) return;
      child[stream].on('data', check);
      void closed.then(() => check() || reject(new Error(`npm start ended before it printed ${pattern}: ${output.stderr}`)));
    });
  const ready = printed('stdout', /lifecycle ready: POST (\S+)\/webhooks\//).then(() => /lifecycle ready: POST (\S+)\/webhooks\//.exec(output.stdout)![1]!);
  // Only the tests that wait for it to be ready care that it never was.
  ready.catch(() => undefined);
  const ended = new Promise<Ended>((resolve) =>
    child.once('close', (code) => resolve({ code, ...output, services: startedServices(output.stdout), leftRuntimeFile: existsSync(path.join(cwd, '.local', 'runtime.json')) })),
  );
  return { signal: (signal) => child.kill(signal), ready, printed, ended, cwd, config };
}

function startedServices(stdout: string): LocalService[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { message?: string; name?: string; pid?: number })
    .filter((entry) => entry.message === 'local service started' && entry.pid !== undefined)
    .map((entry) => ({ name: entry.name!, pid: entry.pid! }));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const running = (services: LocalService[]) => services.filter(({ pid }) => alive(pid));

/** Saves as editors and `sed -i` do: a new file renamed over the old one. */
function saveByRename(file: string, text: string): void {
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

/** A config with `count` rules. */
const rules = (count: number) => `rules:\n${Array.from({ length: count }, (_, index) => `  - id: rule-${index}\n    groups: [All Staff]\n`).join('')}`;

const lines = (text: string) => text.trim().split('\n');

describe('npm start, however it stops', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('on %s: stops DynamoDB Local and fauxqs, removes its runtime file, says so and exits 0', async (signal) => {
    const start = npmStart();
    await start.ready;
    expect(existsSync(path.join(start.cwd, '.local', 'runtime.json'))).toBe(true);
    start.signal(signal);
    const ended = await start.ended;

    expect(ended.code).toBe(0);
    expect(ended.services.map(({ name }) => name).sort()).toEqual(['DynamoDB Local', 'fauxqs']);
    expect(running(ended.services)).toEqual([]);
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
    expect(ended.services).toHaveLength(2);
    expect(running(ended.services)).toEqual([]);
    expect(ended.leftRuntimeFile).toBe(false);
    expect(lines(ended.stderr)).toEqual([line]);
  }, 60_000);

  it('with a config file it cannot load: names the field and its line in one line, stops its services and exits 1', async () => {
    const ended = await npmStart({ config: `${CONFIG}    departmant: Engineering\n` }).ended;

    expect(ended.code).toBe(1);
    expect(lines(ended.stderr)).toEqual([expect.stringMatching(/^lifecycle stopped: could not start: .*line \d+, rules\[0\]: unknown field\(s\) "departmant"/)]);
    expect(running(ended.services)).toEqual([]);
    expect(ended.leftRuntimeFile).toBe(false);
  }, 60_000);

  /** A directory holding only a `java` that runs `script`, to be the whole PATH. */
  const javaOnPath = (script: string) => {
    const bin = mkdtempSync(path.join(tmpdir(), 'java-'));
    writeFileSync(path.join(bin, 'java'), `#!/bin/sh\n${script}\n`);
    chmodSync(path.join(bin, 'java'), 0o755);
    return bin;
  };

  it.each([
    ['no java on PATH', () => mkdtempSync(path.join(tmpdir(), 'no-java-')), /java is not on PATH/],
    // What macOS's /usr/bin/java does when no JDK is installed.
    ['a java without a runtime', () => javaOnPath(`echo "The operation couldn't be completed. Unable to locate a Java Runtime." >&2; exit 1`), /java -version failed: The operation couldn't be completed\. Unable to locate a Java Runtime\./],
    ['Java 11', () => javaOnPath(`[ "$1" = -version ] && echo 'openjdk version "11.0.22" 2024-01-16' >&2 && exit 0; echo 'UnsupportedClassVersionError' >&2; exit 1`), /java on PATH is Java 11/],
  ])('with %s: says at once what to install, launches no DynamoDB Local, stops fauxqs and exits 1', async (_case, pathDirectory, why) => {
    const ended = await npmStart({ env: { PATH: pathDirectory() } }).ended;

    expect(ended.code).toBe(1);
    expect(lines(ended.stderr)).toEqual([expect.stringMatching(/^lifecycle stopped: could not start: DynamoDB Local needs Java 17 or later/)]);
    expect(ended.stderr).toMatch(why);
    expect(ended.stderr).toMatch(/install .*openjdk-17-jre-headless/);
    expect(ended.services.map(({ name }) => name)).toEqual(['fauxqs']);
    expect(running(ended.services)).toEqual([]);
  }, 60_000);
});

describe('npm start, while the config is edited', () => {
  it('keeps the running rules on a bad save (a misspelt field, a file gone mid-save), says why, and applies the next good save', async () => {
    const start = npmStart();
    await start.ready;

    saveByRename(start.config, `${CONFIG}    departmant: Engineering\n`);
    await start.printed('stderr', /rules not reloaded, the running rules stay: .*\n.*line \d+, rules\[0\]: unknown field\(s\) "departmant"/);
    // Some editors move the file away before they write the new one.
    rmSync(start.config);
    await start.printed('stderr', /rules not reloaded, the running rules stay: .*\n.*cannot read the file: .*no such file/);
    saveByRename(start.config, rules(2));
    await start.printed('stdout', /rules v2 deployed from .*: 2 rules/);

    start.signal('SIGTERM');
    const ended = await start.ended;
    expect(ended.code).toBe(0);
    expect(running(ended.services)).toEqual([]);
  }, 60_000);

  it('applies every save, however it is made: by rename (editors, sed -i), again by rename, then in place', async () => {
    const start = npmStart();
    const url = await start.ready;

    saveByRename(start.config, rules(2));
    await start.printed('stdout', /rules v2 deployed from .*: 2 rules/);
    saveByRename(start.config, rules(3));
    await start.printed('stdout', /rules v3 deployed from .*: 3 rules/);
    writeFileSync(start.config, rules(4));
    await start.printed('stdout', /rules v4 deployed from .*: 4 rules/);
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ rules: 4 });

    start.signal('SIGTERM');
    expect((await start.ended).code).toBe(0);
  }, 60_000);
});

describe('npm run demo', () => {
  it('finds npm start on the port it runs on, and prints the worker id with the command that shows it', async () => {
    // The demo's role change needs the shipped rules' groups.
    const start = npmStart({ config: readFileSync('cdk/config/lifecycle.yaml', 'utf8') });
    const url = await start.ready;
    expect(new URL(url).port).not.toBe('3000');

    // Run where npm start runs, as the README says, with nothing telling it the port.
    const { PORT, DEMO_URL, ...env } = process.env;
    const demo = spawn(process.execPath, ['--import', TSX, DEMO], { cwd: start.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    leftovers.push(() => demo.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    demo.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => demo.once('close', resolve));

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const workerId = /npx lifecycle status (\S+)/.exec(stdout)?.[1];
    expect(workerId).toMatch(/^DEMO-/);
    const members = (await (await fetch(`${url}/local/bitwarden/members`)).json()) as Array<{ externalId: string | null; status: number }>;
    expect(members.find((member) => member.externalId === workerId)).toMatchObject({ status: MemberStatus.Revoked });

    start.signal('SIGTERM');
    expect((await start.ended).code).toBe(0);
  }, 60_000);
});
