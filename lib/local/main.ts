import '../runtime/machine-defaults.js';
import { rmSync, watch } from 'node:fs';
import { LOCAL_RUNTIME_FILE, writeLocalRuntimeFile } from '../runtime/local-target.js';
import { startLocalRuntime } from './runtime.js';

/** `npm start`. Environment: PORT, LIFECYCLE_CONFIG, BITWARDEN_* and <PROVIDER>_WEBHOOK_SECRET (see README). */
process.env.POWERTOOLS_SERVICE_NAME ??= 'hr-bitwarden-lifecycle-local';

const runtime = await startLocalRuntime({
  port: Number(process.env.PORT ?? 3000),
  configPath: process.env.LIFECYCLE_CONFIG ?? 'cdk/config/lifecycle.yaml',
  sweepIntervalSeconds: Number(process.env.SWEEP_INTERVAL_SECONDS ?? 60),
});

const bitwarden = runtime.bitwarden ? `Bitwarden emulator at ${runtime.bitwarden.url}` : `Bitwarden at ${process.env.BITWARDEN_API_URL}`;
console.log(`lifecycle ready: POST ${runtime.url}/webhooks/{provider} · ${bitwarden} · sweeping every ${process.env.SWEEP_INTERVAL_SECONDS ?? 60} s`);

for (const [lane, worker] of Object.entries(runtime.workers)) worker.on('pollError', (error) => console.error(`${lane} worker could not poll its queue: ${error.message}`));

// Admins edit the config while it runs: every save redeploys the rules (a bad file changes nothing).
const configPath = process.env.LIFECYCLE_CONFIG ?? 'cdk/config/lifecycle.yaml';
let reload: NodeJS.Timeout | undefined;
watch(configPath, () => {
  clearTimeout(reload);
  reload = setTimeout(() => {
    runtime.reloadRules().then(
      (deployment) => console.log(`rules v${deployment.version} deployed from ${configPath}: ${deployment.written.length} written, ${deployment.deleted.length} deleted, ${deployment.reevaluated.length} worker(s) re-evaluated`),
      (error: Error) => console.error(`rules not reloaded, the running rules stay: ${error.message}`),
    );
  }, 200);
});

// The CLI (npx lifecycle) finds this runtime through this file.
writeLocalRuntimeFile();

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    rmSync(LOCAL_RUNTIME_FILE, { force: true });
    void runtime.stop().then(() => process.exit(0));
  });
}
