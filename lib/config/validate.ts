import type * as z from '../vocabulary/zod.js';
import { formatPath } from '../vocabulary/field-path.js';
import { ConfigError } from './errors.js';
import { lifecycleConfigSchema, type LifecycleConfig } from './schema.js';

const describeByPath = (issue: z.core.$ZodIssue) => `${formatPath(issue.path) || '(top level)'}: ${issueDetail(issue)}`;

export const issueDetail = (issue: z.core.$ZodIssue) => (issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}` : issue.message);

/** Validates parsed config data with the one schema; `describe` may add where an issue is (the YAML loader adds lines). */
export function validateConfig(data: unknown, source: string, describe: (issue: z.core.$ZodIssue) => string = describeByPath): LifecycleConfig {
  const result = lifecycleConfigSchema().safeParse(data ?? {});
  if (result.success) return result.data;
  throw new ConfigError(source, result.error.issues.map(describe));
}
