import type { z } from 'zod';
import { formatPath } from '../config/load.js';
import { WebhookRejection } from './provider.js';

/** Parses a verified body with `schema`; a 400 names the first bad field. */
export function parseJsonBody<S extends z.ZodType>(body: Buffer, schema: S): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new WebhookRejection(400, 'body is not valid JSON');
  }
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new WebhookRejection(400, `${formatPath(issue.path) || 'body'}: ${issue.message}`);
}
