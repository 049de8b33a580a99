import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config/errors.js';
import { loadConfigFile } from '../../lib/config/load.js';
import { loadShippedConfig, parseShippedConfig, shipConfig } from '../../lib/config/shipped.js';

/** `cdk deploy` ships the config validated at synth as JSON sealed with its checksum; each Lambda checks the seal, not the schema. */
describe('the shipped config', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shipped-'));
  for (const file of ['cdk/config/lifecycle.yaml', 'cdk/config/lifecycle.prod.yaml']) {
    it(`reads back as the same config: ${file}`, () => {
      const config = loadConfigFile(file);
      const shipped = path.join(dir, `${path.basename(file)}.json`);
      writeFileSync(shipped, shipConfig(config));
      expect(loadShippedConfig(shipped)).toEqual(config);
    });
  }

  it('is refused, the checksum named, when it is not the config validated at synth', () => {
    const sealed = JSON.parse(shipConfig(loadConfigFile('cdk/config/lifecycle.yaml'))) as { checksum: string; config: { rules: unknown[] } };
    const edited = JSON.stringify({ ...sealed, config: { ...sealed.config, rules: [] } });
    expect(() => parseShippedConfig(edited, 'lifecycle.json')).toThrow(ConfigError);
    expect(() => parseShippedConfig(edited, 'lifecycle.json')).toThrow(/lifecycle\.json:\n {2}- checksum: the config is not the one validated at synth/);
  });

  it('is refused when it is not a shipped config at all, or not JSON', () => {
    const bare = path.join(dir, 'bare.json');
    writeFileSync(bare, JSON.stringify(loadConfigFile('cdk/config/lifecycle.yaml')));
    expect(() => loadShippedConfig(bare)).toThrow(/not a shipped config/);
    expect(() => parseShippedConfig('{"checksum":', 'broken.json')).toThrow(/broken\.json:\n {2}- cannot read the shipped config/);
    expect(() => loadShippedConfig(path.join(dir, 'missing.json'))).toThrow(/cannot read the shipped config/);
  });
});
