import { readFileSync } from 'node:fs';
import type * as z from '../vocabulary/zod.js';
import { formatPath } from '../vocabulary/field-path.js';
import { lifecycleConfigSchema, type LifecycleConfig } from './schema.js';

/** A config that cannot be used. The message names the file and, from YAML, the line and the field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`Invalid lifecycle config ${source}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

const describeByPath = (issue: z.core.$ZodIssue) => `${formatPath(issue.path) || '(top level)'}: ${issueDetail(issue)}`;

export const issueDetail = (issue: z.core.$ZodIssue) => (issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}` : issue.message);

/** Validates parsed config data with the one schema; `describe` may add where an issue is (the YAML loader adds lines). */
export function validateConfig(data: unknown, source: string, describe: (issue: z.core.$ZodIssue) => string = describeByPath): LifecycleConfig {
  const result = lifecycleConfigSchema().safeParse(data ?? {});
  if (result.success) return result.data;
  throw new ConfigError(source, result.error.issues.map(describe));
}

/**
 * The config as `cdk deploy` ships it beside each handler: the file validated at synth, as JSON,
 * validated again by the same schema. A Lambda carries no YAML parser.
 */
export function loadShippedConfig(path: string): LifecycleConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the shipped config: ${(error as Error).message}`]);
  }
  return parseShippedConfig(text, path);
}

/** The shipped config's text (JSON), validated; `source` names it in errors. */
export function parseShippedConfig(text: string, source: string): LifecycleConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(source, [`cannot read the shipped config: ${(error as Error).message}`]);
  }
  return validateConfig(data, source);
}
