import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { LifecycleConfig } from '../config/schema.js';
import { Queues, type Lane } from '../queue/queues.js';
import { dynamoClient, documentClient, sqsClient } from '../runtime/aws.js';
import { bitwardenClient } from '../runtime/dependencies.js';
import { deadLetterQueueUrl, queueUrl, readEnvironment, tableName, type Environment } from '../runtime/env.js';
import { readSecret } from '../runtime/secrets.js';
import { enabledConnectedSources, findConnectedSource } from '../sources/connected-sources.js';
import { needsApiCredentials } from '../sources/registry.js';
import { sourceVariable, type Source } from '../sources/source.js';
import { AuditLog, type AuditEntry } from '../store/audit-log.js';
import { Tables, type TableDefinition } from '../store/tables.js';
import { MissingGroupsError, missingGroups } from '../sync/group-directory.js';
import type { CliContext } from './context.js';
import { ExitCode } from './errors.js';
import { describeStack } from './stack-target.js';

/** One check: what it found, and what to do when it failed. */
export interface Check {
  check: string;
  status: 'pass' | 'fail' | 'skipped';
  detail: string;
  fix: string | null;
}

/** The worker key of the doctor's test delivery: a terminated worker nobody has, so the whole path runs and Bitwarden is not written to. */
export const DOCTOR_WORKER = 'lifecycle-doctor';

/** How long the test delivery may take from the webhook to the audit trail. */
const DELIVERY_PATIENCE_MS = 30_000;
const POLL_MS = 250;

const pass = (check: string, detail: string): Check => ({ check, status: 'pass', detail, fix: null });
const fail = (check: string, detail: string, fix: string): Check => ({ check, status: 'fail', detail, fix });
const skipped = (check: string, detail: string): Check => ({ check, status: 'skipped', detail, fix: null });
const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * `lifecycle doctor`: is everything in place for the product to work? The config, Bitwarden's key (a
 * token request), every rule's group, each enabled source's secrets, the tables and queues, and a
 * signed test delivery through ingest, the queue, the worker and the audit trail (a terminated worker
 * nobody has: Bitwarden is read, never written). Each check says what to do when it fails.
 */
export async function doctorCommand(context: CliContext): Promise<number> {
  const { out, env } = context;
  const checks: Check[] = [];
  const { path, origin } = context.configFile();
  let config: LifecycleConfig | null = null;
  try {
    config = context.config();
    checks.push(pass('config', `${path} (${origin}): ${config.rules.length} rule(s), sources ${[...enabledConnectedSources(config.providers).keys()].join(', ')}`));
  } catch (error) {
    checks.push(fail('config', `${path} (${origin}): ${reason(error)}`, 'Fix the field at the line shown; npx lifecycle rules validate checks it again.'));
  }
  const outputs = context.target.kind === 'stack' ? new Map((await describeStack(context.target.name)).Outputs?.map((output) => [output.OutputKey!, output.OutputValue!]) ?? []) : new Map<string, string>();

  if (config) checks.push(...(await bitwardenChecks(env, config)));
  else checks.push(skipped('bitwarden', 'needs a valid config'), skipped('groups', 'needs a valid config'));
  if (config) for (const source of [...enabledConnectedSources(config.providers).values()].map((entry) => entry.source)) checks.push(await secretCheck(context, source, outputs));
  checks.push(await tablesCheck(env), await queuesCheck(env));
  checks.push(config ? await deliveryCheck(context, config, outputs) : skipped('test delivery', 'needs a valid config'));

  const failed = checks.filter((check) => check.status === 'fail');
  const text = checks.map((check) => `${check.status === 'pass' ? 'pass' : check.status === 'fail' ? 'FAIL' : 'skip'}  ${check.check}: ${check.detail}${check.fix ? `\n      → ${check.fix}` : ''}`).join('\n');
  out.print(`${text}\n\n${failed.length ? `${failed.length} check(s) failed.` : 'Every check passed.'}`, { ok: failed.length === 0, checks });
  return failed.length ? ExitCode.failure : ExitCode.ok;
}

/** Bitwarden's key (a token request, then the group list) and the rules' groups in that list. */
async function bitwardenChecks(env: Environment, config: LifecycleConfig): Promise<Check[]> {
  let groups;
  try {
    groups = await bitwardenClient(env, config).listGroups();
  } catch (error) {
    return [
      fail('bitwarden', reason(error), "Check the organization API key (Bitwarden Admin Console › Settings › Organization info › API key) in BITWARDEN_CLIENT_ID / BITWARDEN_CLIENT_SECRET, or the stack's BitwardenCredentialsSecret, and bitwarden.region."),
      skipped('groups', 'needs a Bitwarden connection'),
    ];
  }
  const missing = missingGroups(groups, config.rules);
  const groupCheck = missing.length === 0
    ? pass('groups', `every group the rules name exists in Bitwarden (${groups.length} listed)`)
    : config.bitwarden.createMissingGroups
      ? pass('groups', `${missing.map(({ group }) => `"${group}"`).join(', ')} will be created at the next deploy (bitwarden.createMissingGroups)`)
      : fail('groups', new MissingGroupsError(missing).message, 'Create the group in Bitwarden (Admin Console › Groups), or correct its name in the rule, then deploy the config again.');
  return [pass('bitwarden', `a token was issued and ${groups.length} group(s) listed`), groupCheck];
}

/** A source's webhook secret and, if it reads an API (needsApiCredentials), its API credentials: set, and not empty. */
async function secretCheck(context: CliContext, source: Source, outputs: ReadonlyMap<string, string>): Promise<Check> {
  const pascal = source.name.charAt(0).toUpperCase() + source.name.slice(1);
  // A stack names its webhook secrets in its outputs; the CLI reads them by name as by ARN.
  const webhookSecret = outputs.get(`${pascal}WebhookSecretName`);
  const env = webhookSecret ? readEnvironment({ ...context.env.variables, [`${source.secretEnvVar}_ARN`]: webhookSecret }) : context.env;
  const names = [...(source.takesWebhooks === false ? [] : [source.secretEnvVar]), ...(needsApiCredentials(source) ? [sourceVariable(source, 'API_CREDENTIALS')] : [])];
  const problems: string[] = [];
  for (const name of names) {
    try {
      await readSecret(env, name);
    } catch (error) {
      // npm start uses each source's local-only webhook secret when none is set (lib/local/runtime.ts).
      if (!(context.target.kind === 'local' && name === source.secretEnvVar)) problems.push(`${name}: ${reason(error)}`);
    }
  }
  const check = `secrets: ${source.name}`;
  if (names.length === 0) return pass(check, 'needs none');
  return problems.length === 0
    ? pass(check, `${names.join(', ')} set`)
    : fail(check, problems.join('; '), `Put the value ${source.name} shows in the secret (in AWS the stack's ${pascal}WebhookSecretName / ${pascal}ApiCredentialsName outputs name them; locally the variables), README "HR providers".`);
}

async function tablesCheck(env: Environment): Promise<Check> {
  const dynamo = dynamoClient();
  const problems: string[] = [];
  for (const definition of Object.values(Tables) as TableDefinition[]) {
    try {
      await dynamo.send(new DescribeTableCommand({ TableName: tableName(env, definition) }));
    } catch (error) {
      problems.push(`${definition.id}: ${reason(error)}`);
    }
  }
  return problems.length === 0 ? pass('tables', `${Object.keys(Tables).length} tables answer`) : fail('tables', problems.join('; '), 'Deploy the stack (or start npm start) from this version: it creates every table.');
}

async function queuesCheck(env: Environment): Promise<Check> {
  const sqs = sqsClient();
  const problems: string[] = [];
  for (const lane of Object.keys(Queues) as Lane[]) {
    for (const [what, url] of [['queue', () => queueUrl(env, Queues[lane])], ['dead-letter queue', () => deadLetterQueueUrl(env, Queues[lane])]] as const) {
      try {
        await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url(), AttributeNames: ['ApproximateNumberOfMessages'] }));
      } catch (error) {
        problems.push(`${lane} ${what}: ${reason(error)}`);
      }
    }
  }
  return problems.length === 0 ? pass('queues', 'both lanes and their dead-letter queues answer') : fail('queues', problems.join('; '), 'Deploy the stack (or start npm start) from this version: it creates the queues.');
}

/**
 * A signed generic-format delivery of a terminated worker nobody has (DOCTOR_WORKER): the signature is
 * checked, the change goes through the urgent lane to the worker, which reads Bitwarden, plans nothing
 * and audits it. Nothing is written to Bitwarden.
 */
async function deliveryCheck(context: CliContext, config: LifecycleConfig, outputs: ReadonlyMap<string, string>): Promise<Check> {
  const check = 'test delivery';
  const generic = findConnectedSource('generic');
  if (!generic || !enabledConnectedSources(config.providers).has('generic')) return skipped(check, 'the generic source is not enabled (providers.generic), and the test delivery is in its format');
  const webhookUrl = context.target.kind === 'stack' ? outputs.get('WebhookUrl')?.replace('{provider}', 'generic') : context.env.variables.LIFECYCLE_API_URL && `${context.env.variables.LIFECYCLE_API_URL}/webhooks/generic`;
  if (!webhookUrl) return skipped(check, 'no webhook URL is known here: run it against npm start or with --stack NAME');
  let secret: string;
  try {
    const webhookSecret = outputs.get('GenericWebhookSecretName');
    const env = webhookSecret ? readEnvironment({ ...context.env.variables, GENERIC_WEBHOOK_SECRET_ARN: webhookSecret }) : context.env;
    secret = context.target.kind === 'local' ? (context.env.variables.GENERIC_WEBHOOK_SECRET ?? generic.localSecret) : await readSecret(env, generic.secretEnvVar);
  } catch (error) {
    return fail(check, `the generic webhook secret cannot be read: ${reason(error)}`, 'Set the generic webhook secret (README "HR providers").');
  }
  const now = new Date();
  const id = `msg_doctor_${randomUUID().replaceAll('-', '')}`;
  const today = now.toISOString().slice(0, 10);
  const body = Buffer.from(JSON.stringify({ type: 'worker.terminated', timestamp: now.toISOString(), data: { worker: { externalId: DOCTOR_WORKER, workEmail: null, displayName: 'lifecycle doctor test delivery', status: 'terminated', terminationDate: today } } }));
  let status: number;
  try {
    const response = await fetch(webhookUrl, { method: 'POST', headers: generic.sign(body, secret.split(/[\s,]+/)[0]!, now, id), body, signal: AbortSignal.timeout(10_000) });
    status = response.status;
    if (status !== 202) return fail(check, `POST ${webhookUrl} answered ${status}: ${(await response.text()).slice(0, 200)}`, status === 401 ? 'The generic webhook secret here differs from the one the endpoint checks: set the same value in both.' : 'See the ingest function’s logs for the delivery id.');
  } catch (error) {
    return fail(check, `POST ${webhookUrl}: ${reason(error)}`, context.target.kind === 'local' ? 'Start npm start.' : "Check the stack's WebhookUrl output and the Ingest function's log.");
  }
  const audit = new AuditLog(documentClient(), tableName(context.env, Tables.audit));
  const deadline = Date.now() + DELIVERY_PATIENCE_MS;
  let trail: AuditEntry[] = [];
  // The CLI is another process than the worker: polling the audit trail is the only way to see it finish.
  while (Date.now() < deadline) {
    trail = (await audit.forWorker(DOCTOR_WORKER)).filter((entry) => entry.deliveryId === id);
    if (trail.some((entry) => entry.outcome !== 'attempted' && entry.outcome !== 'failed')) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const outcome = trail.find((entry) => entry.outcome !== 'attempted' && entry.outcome !== 'failed');
  const failure = trail.find((entry) => entry.outcome === 'failed');
  if (!outcome) {
    return fail(check, `delivery ${id} was accepted (202) but the worker did not audit it within ${DELIVERY_PATIENCE_MS / 1000} s${failure ? `: ${failure.detail}` : ''}`, 'Check that the worker runs (its event source mappings are enabled, npm start is up) and see npx lifecycle dlq list.');
  }
  return pass(check, `delivery ${id}: signature accepted (202), through the urgent lane to the worker, audited "${outcome.outcome}" (${outcome.detail}); Bitwarden was not written to`);
}
