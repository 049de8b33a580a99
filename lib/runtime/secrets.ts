import { getSecret } from '@aws-lambda-powertools/parameters/secrets';

/** Secrets are re-read at most this often, so a rotation reaches warm Lambdas without a redeploy. */
const SECRET_MAX_AGE_SECONDS = 300;

/**
 * A secret from `NAME` (local runs) or from the Secrets Manager secret whose ARN is in `NAME_ARN`
 * (AWS). `refresh` bypasses the cache, e.g. after the secret was refused.
 */
export async function readSecret(envVar: string, options: { refresh?: boolean } = {}): Promise<string> {
  const direct = process.env[envVar];
  if (direct) return direct;
  const arn = process.env[`${envVar}_ARN`];
  if (!arn) throw new Error(`neither ${envVar} nor ${envVar}_ARN is set`);
  const value = await getSecret<string>(arn, { maxAge: SECRET_MAX_AGE_SECONDS, forceFetch: options.refresh ?? false });
  if (typeof value !== 'string' || value.length === 0) throw new Error(`the secret in ${envVar}_ARN is empty`);
  return value;
}

/** Space- or comma-separated secrets: during a rotation the old and the new one are both accepted. */
export const splitSecrets = (value: string) => value.split(/[\s,]+/).filter(Boolean);
