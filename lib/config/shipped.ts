import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import type { LifecycleConfig } from './schema.js';

/**
 * How `cdk deploy` ships the config, beside each handler and to the rules deployer: the file validated
 * at synth, as JSON, sealed with the checksum of what was validated. A Lambda checks the seal instead of
 * running the schema again, so neither the schema nor every source's settings and payload schemas it
 * imports are on a cold start (docs/design.md, decision 18); a file edited or mixed up since synth is
 * refused. A Lambda carries no YAML parser.
 */
interface ShippedConfig {
  checksum: string;
  config: LifecycleConfig;
}

/**
 * SHA-256 of the config's JSON text: JSON.parse keeps the order of keys, so the text read back hashes as
 * the text written. It catches a file edited or mixed up since synth, not a forgery: the asset bucket's
 * permissions guard against that.
 */
const checksumOf = (config: unknown) => createHash('sha256').update(JSON.stringify(config)).digest('hex');

/** The text of the shipped config, from a config that `validateConfig` (lib/config/validate.ts) returned. */
export function shipConfig(config: LifecycleConfig): string {
  return JSON.stringify({ checksum: checksumOf(config), config } satisfies ShippedConfig);
}

/** The shipped config's text, its seal checked; `source` names it in errors. */
export function parseShippedConfig(text: string, source: string): LifecycleConfig {
  let shipped: Partial<ShippedConfig> | null;
  try {
    shipped = JSON.parse(text) as Partial<ShippedConfig> | null;
  } catch (error) {
    throw new ConfigError(source, [`cannot read the shipped config: ${(error as Error).message}`]);
  }
  if (typeof shipped?.checksum !== 'string' || typeof shipped.config !== 'object' || shipped.config === null) {
    throw new ConfigError(source, ['not a shipped config: `cdk synth` writes {"checksum": …, "config": …}']);
  }
  if (checksumOf(shipped.config) !== shipped.checksum) {
    throw new ConfigError(source, ['checksum: the config is not the one validated at synth; deploy the file again (npx cdk deploy)']);
  }
  return shipped.config;
}

export function loadShippedConfig(path: string): LifecycleConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the shipped config: ${(error as Error).message}`]);
  }
  return parseShippedConfig(text, path);
}
