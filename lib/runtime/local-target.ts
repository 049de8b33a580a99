import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readEnvironment, type Environment } from './env.js';

/** Where `npm start` records how to reach it, so the CLI can act on the local stack. */
export const LOCAL_RUNTIME_FILE = '.local/runtime.json';

/**
 * Variables the handlers and the CLI read: endpoints, table names, queue and dead-letter queue URLs,
 * Bitwarden settings, the sources' API URLs and credentials (for `lifecycle sync --from`), and the
 * local evidence key's file (for `lifecycle evidence`).
 */
const SHARED = /^(AWS_ENDPOINT_URL_\w+|AWS_REGION|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|\w+_TABLE|\w+_QUEUE_URL|\w+_DLQ_URL|\w+_API_URL|\w+_API_CREDENTIALS|BITWARDEN_\w+|EVIDENCE_SIGNING_KEY|LIFECYCLE_CONFIG)$/;

/** What of this process's environment the CLI needs to act on it. */
export const sharedVariables = (variables: Readonly<Record<string, string | undefined>>): Record<string, string> =>
  Object.fromEntries(Object.entries(variables).filter((entry): entry is [string, string] => SHARED.test(entry[0]) && entry[1] !== undefined));

export function writeLocalRuntimeFile(): void {
  mkdirSync(path.dirname(LOCAL_RUNTIME_FILE), { recursive: true });
  const env = sharedVariables(process.env);
  writeFileSync(LOCAL_RUNTIME_FILE, JSON.stringify({ pid: process.pid, env }, null, 2));
  // It holds the local emulator's key: readable by this user only.
  chmodSync(LOCAL_RUNTIME_FILE, 0o600);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * The environment of the running `npm start` when there is one (and `--aws` was not given), merged
 * into this process's (the AWS SDK reads its endpoints from there); otherwise this process's own,
 * which must name the deployed stack's tables and queues.
 */
export function selectTarget(preferAws: boolean): { target: 'local' | 'aws'; env: Environment } {
  if (!preferAws && existsSync(LOCAL_RUNTIME_FILE)) {
    const { pid, env } = JSON.parse(readFileSync(LOCAL_RUNTIME_FILE, 'utf8')) as { pid: number; env: Record<string, string> };
    if (alive(pid)) {
      Object.assign(process.env, env);
      return { target: 'local', env: readEnvironment() };
    }
  }
  return { target: 'aws', env: readEnvironment() };
}
