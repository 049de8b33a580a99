import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Source } from '../sources/source.js';
import type { Environment } from './env.js';

/** Secrets are re-read at most this often, so a rotation reaches warm Lambdas without a redeploy. */
const SECRET_MAX_AGE_MS = 300_000;

/** At most one forced re-read per source a minute: a flood of forged signatures cannot become a flood of Secrets Manager calls. */
const SECRET_REFRESH_INTERVAL_MS = 60_000;

let secretsManager: SecretsManagerClient | undefined;
const cache = new Map<string, { value: string; expiresAt: number }>();

/**
 * A Secrets Manager secret's text, kept SECRET_MAX_AGE_MS unless `refresh`. The SDK is loaded at
 * the first read, not at cold start (Powertools' getSecret would import it with the bundle): a
 * handler reads its secrets on its first invocation, if at all.
 */
async function secretString(arn: string, refresh: boolean): Promise<string | undefined> {
  const kept = cache.get(arn);
  if (kept && !refresh && kept.expiresAt > Date.now()) return kept.value;
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  secretsManager ??= new SecretsManagerClient({});
  const { SecretString: value } = await secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
  if (value) cache.set(arn, { value, expiresAt: Date.now() + SECRET_MAX_AGE_MS });
  return value;
}

/**
 * A secret from the variable `name` (local runs) or from the Secrets Manager secret whose ARN is in
 * `name_ARN` (AWS). `refresh` bypasses the cache, e.g. after the secret was refused.
 */
export async function readSecret(env: Environment, name: string, options: { refresh?: boolean } = {}): Promise<string> {
  const direct = env.variables[name];
  if (direct) return direct;
  const arn = env.variables[`${name}_ARN`];
  if (!arn) throw new Error(`neither ${name} nor ${name}_ARN is set`);
  const value = await secretString(arn, options.refresh ?? false);
  if (!value) throw new Error(`the secret in ${name}_ARN is empty`);
  return value;
}

/** Space- or comma-separated secrets: during a rotation the old and the new one are both accepted. */
export const splitSecrets = (value: string) => value.split(/[\s,]+/).filter(Boolean);

/** Each source's webhook secrets (or an identity provider's SCIM keys); a forced re-read (after a mismatch) at most once a minute per source. */
export function webhookSecrets(env: Environment, clock: () => number = Date.now) {
  const refreshedAt = new Map<string, number>();
  return async (source: Pick<Source, 'name' | 'secretEnvVar'>, options: { refresh?: boolean } = {}): Promise<string[]> => {
    const refresh = options.refresh === true && clock() - (refreshedAt.get(source.name) ?? 0) > SECRET_REFRESH_INTERVAL_MS;
    if (refresh) refreshedAt.set(source.name, clock());
    return splitSecrets(await readSecret(env, source.secretEnvVar, { refresh }));
  };
}
