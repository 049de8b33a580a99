import { execFile } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';

/** The real binary, as `npx lifecycle` runs it (the bundle in dist/ when current, else the sources through tsx). */
export const LIFECYCLE_BIN = path.resolve('bin/lifecycle.mjs');

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `npx lifecycle …` with this process's environment (a test runtime's table names and queue
 * URLs, once it started), plus `env`, from `cwd` (default: the repository). Asynchronous on
 * purpose: the emulators it talks to may live in this process.
 */
export function runLifecycle(args: readonly string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [LIFECYCLE_BIN, ...args], { cwd: options.cwd, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', ...options.env } }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * Runs a command with `--json --aws` against this test's local services (their names are in this
 * process's environment: --aws reads them from there, whether or not an `npm start` runs on this
 * machine), and returns its JSON. Nothing may reach stderr.
 */
export async function runCli<T = Record<string, unknown>>(...args: string[]): Promise<{ status: number; json: T }> {
  const { status, stdout, stderr } = await runLifecycle([...args, '--json', '--aws']);
  expect(stderr).toBe('');
  return { status, json: JSON.parse(stdout) as T };
}
