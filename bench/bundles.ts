import { spawnSync } from 'node:child_process';

/** A fresh process that has not printed its time by then is stuck (this machine's Node has, once in some thousand starts, never exited). */
const FRESH_PROCESS_TIMEOUT_MS = 30_000;

/** Milliseconds `script` (an ES module's text) prints in a fresh Node process, as a Lambda cold start would run it; a stuck one is started again, once. */
function timeInFreshProcess(script: string, tries = 2): number {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, AWS_REGION: 'us-east-1' }, timeout: FRESH_PROCESS_TIMEOUT_MS });
  if (result.signal === 'SIGTERM' && tries > 1) return timeInFreshProcess(script, tries - 1);
  if (result.status !== 0) throw new Error(`a fresh process failed (${result.signal ?? `exit ${result.status}`}): ${result.stderr}`);
  return Number(result.stdout.trim());
}

/** How long `await import()` of each file, one after the other, takes in a fresh Node process, in milliseconds. */
export const coldImportMs = (...files: string[]): number => timeInFreshProcess(`const t=performance.now();for (const file of ${JSON.stringify(files)}) await import(file);console.log(performance.now()-t)`);

/** How long the AWS SDK's DynamoDB and SQS clients take to load alone (what every handler loads through `require`): the floor under each cold import. */
export const sdkRequireMs = (): number =>
  timeInFreshProcess(
    `import { createRequire } from 'node:module';const require=createRequire(${JSON.stringify(`${process.cwd()}/`)});const t=performance.now();for (const name of ['@aws-sdk/client-dynamodb','@aws-sdk/lib-dynamodb','@aws-sdk/client-sqs']) require(name);console.log(performance.now()-t)`,
  );
