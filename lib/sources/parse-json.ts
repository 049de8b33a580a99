import type * as z from '../vocabulary/zod.js';
import { formatPath } from '../vocabulary/field-path.js';
import { WebhookRejection } from './source.js';

/** The body as JSON; 400 if it is not. */
export function readJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new WebhookRejection('malformed', 'body is not valid JSON');
  }
}

/** Validates parsed JSON with `schema`; a 400 names the first bad field. */
export function validateJson<S extends z.ZodMiniType>(json: unknown, schema: S): z.output<S> {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new WebhookRejection('malformed', `${formatPath(issue.path) || 'body'}: ${issue.message}`);
}

export const parseJsonBody = <S extends z.ZodMiniType>(body: Buffer, schema: S): z.output<S> => validateJson(readJson(body), schema);
