/**
 * `npm run fuzz`: sends generated webhook deliveries (valid, mutated and forged; 10,000 per provider
 * by default) through the real local runtime, on its own DynamoDB Local and SQS emulator, and checks
 * after every batch that nothing unsigned was enqueued, nothing accepted was lost, nothing crashed
 * and every answer is documented (test/support/fuzz/checker.ts). Writes bench/fuzz-summary.md, and
 * bench/fuzz-violations.json when something failed; exits 1 on any violation.
 *
 *   npm run fuzz -- --per-provider 500 --seed 42 [--providers hibob,merge] [--batch-size 500] [--concurrency 16] [--worker-concurrency 4]
 */
import { randomInt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    'per-provider': { type: 'string', default: '10000' },
    seed: { type: 'string' },
    providers: { type: 'string' },
    'batch-size': { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '16' },
    'worker-concurrency': { type: 'string', default: '4' },
    summary: { type: 'string', default: 'bench/fuzz-summary.md' },
  },
});
const seed = args.seed === undefined ? randomInt(2 ** 31 - 1) : Number(args.seed);
const perProvider = Number(args['per-provider']);
if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(perProvider) || perProvider < 1) {
  console.error('usage: npm run fuzz -- [--per-provider N] [--seed S] [--providers a,b] [--batch-size N] [--concurrency N] [--worker-concurrency N]');
  process.exit(2);
}
console.log(`[fuzz] seed ${seed} — replay with: npm run fuzz -- --seed ${seed} --per-provider ${perProvider}${args.providers ? ` --providers ${args.providers}` : ''}`);

// Set before the product's modules load: they read the environment when imported. Tens of thousands of
// refusals would each log a warning; the report is this script's output.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// A fast Bitwarden emulator (no latency, no faults, no rate limits) and this script's own servers.
process.env.BITWARDEN_EMULATOR = '{}';
for (const name of Object.keys(process.env)) if (/^(AWS_ENDPOINT_URL_|BITWARDEN_(API|IDENTITY)_URL|BITWARDEN_CLIENT_|[A-Z]+_API_(URL|CREDENTIALS)$)/.test(name)) delete process.env[name];
await import('../lib/runtime/machine-defaults.js');
const [{ startLocalRuntime }, { parseConfig }, { FUZZ_CONFIG, runFuzz }, { summaryMarkdown }] = await Promise.all([
  import('../lib/local/runtime.js'),
  import('../lib/config/load.js'),
  import('../test/support/fuzz/run.js'),
  import('../test/support/fuzz/report.js'),
]);

// A process-level failure anywhere in the product (an unhandled rejection in a handler or emulator) is a crash, counted and reported.
const processCrashes: string[] = [];
process.on('uncaughtException', (error) => processCrashes.push(`uncaught exception: ${error.stack ?? error.message}`));
process.on('unhandledRejection', (reason) => processCrashes.push(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`));

const configPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'fuzz-')), 'lifecycle.yaml');
writeFileSync(configPath, FUZZ_CONFIG);
console.log('[fuzz] starting DynamoDB Local, the SQS emulator and the product…');
const runtime = await startLocalRuntime({
  port: 0,
  configPath,
  prefix: `fuzz${Date.now()}`,
  // A failed message comes back in seconds rather than the deployed three minutes.
  visibilityTimeoutSeconds: 10,
  workerConcurrency: Number(args['worker-concurrency']),
});

let exitCode = 0;
try {
  const report = await runFuzz(runtime, parseConfig(FUZZ_CONFIG, configPath), {
    seed,
    perProvider,
    batchSize: Number(args['batch-size']),
    concurrency: Number(args.concurrency),
    providers: args.providers?.split(',').map((name) => name.trim()),
    log: (line) => console.log(`[fuzz] ${line}`),
  });
  for (const crash of processCrashes) report.violations.push({ check: '(c) crash', provider: 'process', message: crash });

  const command = `npm run fuzz -- --seed ${seed} --per-provider ${perProvider}${args.providers ? ` --providers ${args.providers}` : ''}`;
  const summary = summaryMarkdown(report, { command, machine: `${os.cpus().length} cores, Node ${process.version}` });
  writeFileSync(args.summary, summary);
  console.log(`\n${summary}`);
  console.log(`[fuzz] summary written to ${args.summary}`);
  if (report.violations.length > 0) {
    const file = path.join(path.dirname(args.summary), 'fuzz-violations.json');
    writeFileSync(file, `${JSON.stringify({ seed, perProvider, violations: report.violations }, null, 2)}\n`);
    console.error(`[fuzz] ${report.violations.length} violation(s); every delivery involved, byte for byte, in ${file}`);
    exitCode = 1;
  }
} finally {
  await runtime.stop();
}
process.exit(exitCode);
