import type { CloudFormationClient, Stack } from '@aws-sdk/client-cloudformation';
import { EVIDENCE_KMS_KEY_VARIABLE } from '../evidence/signer.js';
import { Queues } from '../queue/queues.js';
import { Tables } from '../store/tables.js';

/**
 * `--stack NAME`: the deployed stack's outputs (cdk/lifecycle-stack.ts) turned into the variables
 * the handlers read (lib/runtime/env.ts), so the CLI acts on that stack with nothing exported.
 */

/** The stack cannot be used: it does not exist there, or lacks an output this version of the CLI reads. */
export class StackTargetError extends Error {
  override readonly name = 'StackTargetError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** The output the stack names its tables and queues by: the variable without the characters CloudFormation refuses in a logical id (WORKERS_TABLE → WORKERSTABLE). */
export const outputKeyOf = (variable: string) => variable.replace(/[^A-Za-z0-9]/g, '');

/** Outputs every stack of this version has, by the variable each becomes. */
const requiredVariables = [...Object.values(Tables).map((table) => table.envVar), ...Object.values(Queues).flatMap((queue) => [queue.envVar, queue.deadLetterEnvVar])];

/** The outputs that name secrets (cdk/lifecycle-stack.ts): Secrets Manager reads a secret by name as by ARN, so each becomes the `_ARN` variable lib/runtime/secrets.ts reads. */
const secretVariable = (outputKey: string): string | null => {
  if (outputKey === 'BitwardenCredentialsSecret') return 'BITWARDEN_CREDENTIALS_ARN';
  const source = /^(\w+)ApiCredentialsName$/.exec(outputKey)?.[1];
  return source ? `${source.toUpperCase()}_API_CREDENTIALS_ARN` : null;
};

/** The config file the stack was deployed from (the ConfigFilePath output cdk/app.ts adds); the CLI's default `--config` for that stack. */
export const CONFIG_FILE_OUTPUT = 'ConfigFilePath';

export interface StackTarget {
  name: string;
  variables: Record<string, string>;
  /** Null for a stack deployed before it said which config file it came from. */
  configFile: string | null;
}

/** A DescribeStacks answer as the variables the CLI needs; every table and queue output must be there. */
export function stackTarget(stack: Pick<Stack, 'StackName' | 'StackStatus' | 'Outputs'>): StackTarget {
  const outputs = new Map((stack.Outputs ?? []).flatMap((output) => (output.OutputKey && output.OutputValue ? [[output.OutputKey, output.OutputValue] as const] : [])));
  const missing = requiredVariables.filter((variable) => !outputs.has(outputKeyOf(variable)));
  if (missing.length > 0) {
    throw new StackTargetError(
      `stack ${stack.StackName} (${stack.StackStatus}) has no output ${missing.map(outputKeyOf).join(', ')}`,
      'It was deployed from another version of this repository, or its deployment failed: deploy it again (docs/deploy.md, "Bootstrap and deploy").',
    );
  }
  const variables: Record<string, string> = Object.fromEntries(requiredVariables.map((variable) => [variable, outputs.get(outputKeyOf(variable))!]));
  for (const [key, value] of outputs) {
    const variable = secretVariable(key);
    if (variable) variables[variable] = value;
  }
  // The evidence key, in stacks deployed since it exists: `evidence export` and `verify` say so when it is missing.
  const evidenceKey = outputs.get(outputKeyOf(EVIDENCE_KMS_KEY_VARIABLE));
  if (evidenceKey) variables[EVIDENCE_KMS_KEY_VARIABLE] = evidenceKey;
  return { name: stack.StackName!, variables, configFile: outputs.get(CONFIG_FILE_OUTPUT) ?? null };
}

/** What describeStack needs of a CloudFormation client. */
export type CloudFormation = Pick<CloudFormationClient, 'send'> & { config: { region: () => Promise<string> } };

/** DescribeStacks for one stack, in the region and profile the AWS SDK reads (main.ts sets them from --region and --profile). */
export async function describeStack(name: string, client?: CloudFormation): Promise<Stack> {
  // Loaded only with --stack: the client is large, and most runs do not need it.
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cloudFormation = client ?? new CloudFormationClient({});
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: name }));
    if (Stacks?.[0]) return Stacks[0];
  } catch (error) {
    // CloudFormation answers an unknown stack with a ValidationError "Stack with id … does not exist".
    if (!(error instanceof Error && (error.name === 'StackNotFoundException' || /does not exist/.test(error.message)))) throw error;
  }
  throw new StackTargetError(
    `no stack named ${name} in ${await cloudFormation.config.region()}`,
    'Stacks are named HrBitwardenLifecycle-<stage>; check --stack, --region and --profile (aws cloudformation describe-stacks lists them).',
  );
}
