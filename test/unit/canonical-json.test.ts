import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { canonicalJson, checksumOf } from '../../lib/vocabulary/canonical-json.js';

/** Rules, roster records and workers are compared by these checksums across processes: a Lambda's, and an admin's CLI. */
describe('canonical JSON', () => {
  const value = { zone: 1, team: 2, y: { i: 3, j: 4 }, B: 5, a: 6 };

  it('orders keys by code unit at every depth', () => {
    expect(canonicalJson(value)).toBe('{"B":5,"a":6,"team":2,"y":{"i":3,"j":4},"zone":1}');
  });

  it('gives the same checksum whatever the machine\'s language (Estonian sorts z before t, Lithuanian y before j)', () => {
    for (const lang of ['et_EE.UTF-8', 'lt_LT.UTF-8']) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import { checksumOf } from './lib/vocabulary/canonical-json.ts'; console.log(checksumOf(${JSON.stringify(value)}))`], {
        encoding: 'utf8',
        env: { ...process.env, LANG: lang, LC_ALL: lang },
      });
      expect(child.stdout.trim(), child.stderr).toBe(checksumOf(value));
    }
  });
});
