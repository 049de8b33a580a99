import '../runtime/machine-defaults.js';
import { rmSync, watch } from 'node:fs';
import path from 'node:path';
import { LOCAL_RUNTIME_FILE, writeLocalRuntimeFile } from '../runtime/local-target.js';
import { logger } from '../runtime/observability.js';
import { startLocalRuntime } from './runtime.js';

/** `npm start`. Environment: PORT, LIFECYCLE_CONFIG, BITWARDEN_* and <PROVIDER>_WEBHOOK_SECRET (see README). */
process.env.POWERTOOLS_SERVICE_NAME ??= 'hr-bitwarden-lifecycle-local';
const configPath = process.env.LIFECYCLE_CONFIG ?? 'cdk/config/lifecycle.yaml';
const sweepIntervalSeconds = Number(process.env.SWEEP_INTERVAL_SECONDS ?? 60);

const starting = startLocalRuntime({ port: Number(process.env.PORT ?? 3000), configPath, sweepIntervalSeconds });
let stopping = false;
let published = false;

/** An error's message on one line (a config error lists its problems on several). */
const oneLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');

/**
 * However `npm start` ends, it says why in one line, stops what it started (DynamoDB Local and
 * fauxqs above all: orphans would keep their ports) and takes back its runtime file, so that the
 * CLI does not aim at a runtime that is gone. Exits 1 when it ends by a failure.
 */
async function shutdown(why: string, exitCode: 0 | 1, error?: unknown): Promise<never> {
  stopping = true;
  (exitCode === 0 ? console.log : console.error)(`lifecycle stopped: ${why}`);
  if (error !== undefined) logger.debug('npm start failed', { error });
  if (published) rmSync(LOCAL_RUNTIME_FILE, { force: true });
  try {
    // A runtime that failed to start has already stopped what it had started.
    await (await starting.catch(() => null))?.stop();
  } catch (stopError) {
    console.error(`lifecycle could not stop cleanly: ${oneLine(stopError)}`);
    exitCode = 1;
  }
  process.exit(exitCode);
}

/**
 * Calls `onSave` once per save of `file` (a save may fire several events), however it is saved: in
 * place, or as editors and `sed -i` do, by renaming a new file over it. A watch on the file itself
 * stays on the replaced inode and misses every later save, so the directory is watched.
 */
function watchSaves(file: string, onSave: () => void): void {
  const name = path.basename(file);
  let debounce: NodeJS.Timeout | undefined;
  watch(path.dirname(file), (_event, changed) => {
    if (changed !== null && changed !== name) return;
    clearTimeout(debounce);
    debounce = setTimeout(onSave, 200);
  });
}

const failWith = (why: string) => (error: unknown) => {
  if (!stopping) void shutdown(`${why}: ${oneLine(error)}`, 1, error);
};

process.on('uncaughtException', failWith('uncaught exception'));
process.on('unhandledRejection', failWith('unhandled rejection'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // A second Ctrl-C does not wait for the stop; the services still die with this process (lib/local/services.ts).
  process.on(signal, () => (stopping ? process.exit(1) : void shutdown(signal, 0)));
}

const runtime = await starting.catch((error: unknown) => shutdown(`could not start: ${oneLine(error)}`, 1, error));

// The CLI (npx lifecycle) and npm run demo find this runtime through this file, which keeps every
// *_API_URL (lib/runtime/local-target.ts): the demo posts its webhooks to this one.
process.env.LIFECYCLE_API_URL = runtime.url;
writeLocalRuntimeFile();
published = true;

for (const [lane, worker] of Object.entries(runtime.workers)) worker.on('pollError', (error) => console.error(`${lane} worker could not poll its queue: ${error.message}`));

// Admins edit the config while it runs: every save redeploys the rules (a bad file changes nothing);
// armed before the ready line, so that a save right after it counts.
let reloading = Promise.resolve();
watchSaves(configPath, () => {
  // One after another: two deployments at once would race on the rules table.
  reloading = reloading.then(() =>
    runtime.reloadRules().then(
      (deployment) => console.log(`rules v${deployment.version} deployed from ${configPath}: ${deployment.ruleCount} rules, ${deployment.written.length} written, ${deployment.deleted.length} deleted, ${deployment.reevaluated.length} worker(s) re-evaluated`),
      (error: Error) => console.error(`rules not reloaded, the running rules stay: ${error.message}`),
    ),
  );
});

const bitwarden = runtime.bitwarden ? `Bitwarden emulator at ${runtime.bitwarden.url}` : `Bitwarden at ${process.env.BITWARDEN_API_URL}`;
console.log(`lifecycle ready: POST ${runtime.url}/webhooks/{provider} · ${bitwarden} · sweeping every ${sweepIntervalSeconds} s`);
