import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../lib/config/load.js';
import { ConfigError, loadShippedConfig } from '../../lib/config/validate.js';

/** `cdk deploy` ships the config validated at synth as JSON; each Lambda validates it again with the same schema. */
describe('the shipped config', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shipped-'));
  for (const file of ['cdk/config/lifecycle.yaml', 'cdk/config/lifecycle.prod.yaml']) {
    it(`reads back as the same config: ${file}`, () => {
      const config = loadConfigFile(file);
      const shipped = path.join(dir, `${path.basename(file)}.json`);
      writeFileSync(shipped, JSON.stringify(config));
      expect(loadShippedConfig(shipped)).toEqual(config);
    });
  }

  it('is refused with the field named when it is not valid', () => {
    const shipped = path.join(dir, 'bad.json');
    writeFileSync(shipped, JSON.stringify({ ...JSON.parse(JSON.stringify(loadConfigFile('cdk/config/lifecycle.yaml'))), rules: [] }));
    expect(() => loadShippedConfig(shipped)).toThrow(ConfigError);
    expect(() => loadShippedConfig(shipped)).toThrow(/rules: must contain at least one rule/);
    expect(readFileSync(shipped, 'utf8')).toContain('"rules":[]');
  });
});
