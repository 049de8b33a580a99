import * as z from '../vocabulary/zod.js';
import type { QueueDefinition } from '../queue/queues.js';
import type { TableDefinition } from '../store/tables.js';

/**
 * The process environment, read and validated once at cold start (Lambda), at `npm start` and per
 * CLI run. Nothing below lib/runtime reads `process.env`: it receives what it needs from here.
 * Table names and queue URLs are checked where they are needed, so that a handler that uses no
 * queue does not need one.
 */
const nonEmpty = z.string().check(z.trim(), z.minLength(1));
const optional = z.optional(nonEmpty);
const EnvironmentSchema = z.object({
  /** The config file: the one the stack bundles beside the handler, or the local one. */
  LIFECYCLE_CONFIG: z._default(nonEmpty, 'cdk/config/lifecycle.yaml'),
  /** Bitwarden's API and identity base URLs, when not the config's region (a self-hosted server, the local emulator). */
  BITWARDEN_API_URL: z.optional(z.url()),
  BITWARDEN_IDENTITY_URL: z.optional(z.url()),
  /** Local runs: the organization API key. In AWS the key is the secret named by BITWARDEN_CREDENTIALS_ARN. */
  BITWARDEN_CLIENT_ID: optional,
  BITWARDEN_CLIENT_SECRET: optional,
  /** How long a worker is leased: longer than an invocation (30 s), shorter than the visibility timeout. */
  WORKER_LEASE_SECONDS: z._default(z.coerce.number().check(z.int(), z.positive()), 60),
  /** A local S3 endpoint has no per-bucket host names. */
  AWS_ENDPOINT_URL_S3: optional,
});

export type Environment = z.output<typeof EnvironmentSchema> & {
  /** Every variable as read, for names that depend on the config: a source's `<NAME>_WEBHOOK_SECRET`, `<NAME>_API_URL`. */
  readonly variables: Readonly<Record<string, string | undefined>>;
};

/** A setting the process needs is not set; the message names the variable and what it is for. */
export class MissingSettingError extends Error {
  override readonly name = 'MissingSettingError';
  constructor(
    readonly variable: string,
    why: string,
  ) {
    super(`${variable} is not set: ${why}`);
  }
}

export function readEnvironment(variables: Readonly<Record<string, string | undefined>> = process.env): Environment {
  const result = EnvironmentSchema.safeParse(variables);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`environment variable ${String(issue.path[0])}: ${issue.message}`);
  }
  return { ...result.data, variables: { ...variables } };
}

export function setting(env: Environment, variable: string, why: string): string {
  const value = env.variables[variable]?.trim();
  if (!value) throw new MissingSettingError(variable, why);
  return value;
}

export const tableName = (env: Environment, table: TableDefinition) => setting(env, table.envVar, `the handler does not know which DynamoDB table holds ${table.id.toLowerCase()}`);
export const queueUrl = (env: Environment, queue: QueueDefinition) => setting(env, queue.envVar, `nothing knows where the ${queue.id} queue is`);
export const deadLetterQueueUrl = (env: Environment, queue: QueueDefinition) => setting(env, queue.deadLetterEnvVar, `nothing knows where the ${queue.id} dead-letter queue is`);

