import { execFile } from 'node:child_process';
import { expect } from 'vitest';

/**
 * Runs `npx lifecycle …` (the real binary) against this test's local services, and returns its
 * JSON. Asynchronous on purpose: the emulators it talks to live in this process.
 */
export function runCli<T = Record<string, unknown>>(...args: string[]): Promise<{ status: number; json: T }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/lifecycle.mjs', ...args, '--json', '--aws'], { env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' } }, (error, stdout, stderr) => {
      expect(stderr).toBe('');
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, json: JSON.parse(stdout) as T });
    });
  });
}
