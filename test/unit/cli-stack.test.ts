import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Output } from '@aws-sdk/client-cloudformation';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeStack, stackTarget, StackTargetError, type CloudFormation } from '../../lib/cli/stack-target.js';
import { Queues } from '../../lib/queue/queues.js';
import { deadLetterQueueUrl, queueUrl, readEnvironment, tableName } from '../../lib/runtime/env.js';
import { Tables } from '../../lib/store/tables.js';

/** `--stack NAME`: the stack cdk/app.ts deploys names everything the CLI needs in its outputs; a stage without its file deploys nothing. */

/** `cdk synth` of cdk/app.ts with this context, without bundling the functions (their code is not the point here). */
function synth(context: Record<string, unknown>) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'cdk-out-'));
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'cdk/app.ts'], {
    encoding: 'utf8',
    env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }), CDK_OUTDIR: outdir },
  });
  return { ...run, outdir };
}

describe('a stack’s outputs as the CLI’s environment', () => {
  let outputs: Output[];
  let configFileOutput: unknown;
  beforeAll(() => {
    const { status, stderr, outdir } = synth({});
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const template = JSON.parse(readFileSync(path.join(outdir, 'HrBitwardenLifecycle-dev.template.json'), 'utf8')) as { Outputs: Record<string, unknown> };
    configFileOutput = template.Outputs.ConfigFilePath;
    // As DescribeStacks answers for the deployed stack: each output's key, and a value.
    outputs = Object.keys(template.Outputs).map((key) => ({ OutputKey: key, OutputValue: `value of ${key}` }));
  }, 60_000);

  it('names every table, queue and dead-letter queue, the Bitwarden secret, and the config file the stack was deployed from', () => {
    // The dev stage (no -c stage), which has no file of its own: the one stage that falls back to lifecycle.yaml.
    expect(configFileOutput).toMatchObject({ Value: 'cdk/config/lifecycle.yaml' });
    const target = stackTarget({ StackName: 'HrBitwardenLifecycle-dev', StackStatus: 'UPDATE_COMPLETE', Outputs: outputs });
    expect(target).toMatchObject({ name: 'HrBitwardenLifecycle-dev', configFile: 'value of ConfigFilePath' });
    expect(target.variables).toMatchObject({ WORKERS_TABLE: 'value of WORKERSTABLE', URGENT_DLQ_URL: 'value of URGENTDLQURL', BITWARDEN_CREDENTIALS_ARN: 'value of BitwardenCredentialsSecret' });
    const env = readEnvironment(target.variables);
    for (const table of Object.values(Tables)) expect(tableName(env, table)).toBe(`value of ${table.envVar.replaceAll('_', '')}`);
    for (const queue of Object.values(Queues)) {
      expect(queueUrl(env, queue)).toBe(`value of ${queue.envVar.replaceAll('_', '')}`);
      expect(deadLetterQueueUrl(env, queue)).toBe(`value of ${queue.deadLetterEnvVar.replaceAll('_', '')}`);
    }
  });

  it('gives each source’s API credentials secret to the variable the roster reader reads', () => {
    const target = stackTarget({ StackName: 'HrBitwardenLifecycle-prod', StackStatus: 'CREATE_COMPLETE', Outputs: [...outputs, { OutputKey: 'BamboohrApiCredentialsName', OutputValue: 'BamboohrApiCredentials-abc' }] });
    expect(target.variables.BAMBOOHR_API_CREDENTIALS_ARN).toBe('BamboohrApiCredentials-abc');
  });

  it('refuses a stack that lacks an output, naming it and what to do', () => {
    const lacking = outputs.filter((output) => output.OutputKey !== 'URGENTDLQURL');
    const refusal = (() => {
      try {
        stackTarget({ StackName: 'HrBitwardenLifecycle-prod', StackStatus: 'UPDATE_ROLLBACK_COMPLETE', Outputs: lacking });
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(StackTargetError);
    expect(refusal).toMatchObject({ message: 'stack HrBitwardenLifecycle-prod (UPDATE_ROLLBACK_COMPLETE) has no output URGENTDLQURL', hint: expect.stringContaining('deploy it again') });
  });
});

describe('describeStack', () => {
  const cloudFormation = (answer: () => Promise<unknown>): CloudFormation => ({ send: answer as CloudFormation['send'], config: { region: async () => 'eu-central-1' } });

  it('says which stack and region it did not find', async () => {
    // What CloudFormation answers for a stack that does not exist.
    const unknown = cloudFormation(async () => {
      throw Object.assign(new Error('Stack with id HrBitwardenLifecycle-prd does not exist'), { name: 'ValidationError' });
    });
    await expect(describeStack('HrBitwardenLifecycle-prd', unknown)).rejects.toMatchObject({ name: 'StackTargetError', message: 'no stack named HrBitwardenLifecycle-prd in eu-central-1', hint: expect.stringContaining('--region') });
  });

  it('lets other failures through as AWS said them (access denied, no credentials)', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: cloudformation:DescribeStacks'), { name: 'AccessDenied' });
    await expect(
      describeStack(
        'HrBitwardenLifecycle-prod',
        cloudFormation(async () => {
          throw denied;
        }),
      ),
    ).rejects.toBe(denied);
  });
});

describe('cdk/app.ts stages', () => {
  it('refuses a stage without its config file, naming the file it looked for', () => {
    const stage = 'prd';
    const run = synth({ stage });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`-c stage=${stage}: cdk/config/lifecycle.${stage}.yaml does not exist. Create it (start from cdk/config/lifecycle.yaml) or name the file with -c config=FILE.\n`);
    expect(readdirSync(run.outdir).filter((file) => file.endsWith('.template.json'))).toEqual([]);
  });

  it('refuses a -c config= file that does not exist', () => {
    const run = synth({ stage: 'prod', config: 'cdk/config/lifecycle.prod.yml' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('-c config=cdk/config/lifecycle.prod.yml: the file does not exist.\n');
    expect(existsSync(path.join(run.outdir, 'HrBitwardenLifecycle-prod.template.json'))).toBe(false);
  });
});
