import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRulesDeployerHandler } from '../../functions/rules-deployer.js';
import { loadConfigFile, parseConfig } from '../../lib/config/load.js';
import { shipConfig } from '../../lib/config/shipped.js';
import { localContext } from '../../lib/local/lambda-context.js';
import { listDeadLetters } from '../../lib/queue/dead-letters.js';
import { sqsClient } from '../../lib/runtime/aws.js';
import { deployDependencies, syncDependencies } from '../../lib/runtime/dependencies.js';
import { readEnvironment } from '../../lib/runtime/env.js';
import { MissingGroupsError } from '../../lib/sync/group-directory.js';
import { runCli } from '../support/cli.js';
import { genericDelivery, worker } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';

/**
 * Issue 16, defect 8 and "dead letters say why": a group name Bitwarden lacks is refused where the
 * rules are checked or deployed, naming the rule; a worker event that fails leaves its reason on the
 * audit trail on every attempt; `dlq list` shows it, and `dlq redrive` moves one delivery or all.
 */
const shipped = readFileSync('cdk/config/lifecycle.yaml', 'utf8');
const misspelt = shipped.replace('groups: [Engineering]', 'groups: [Enginering]');
let runtime: TestRuntime;

beforeAll(async () => {
  // Two receives, so a failing event is a dead letter within seconds.
  runtime = await startTestRuntime(shipped, { maxReceiveCount: 2 });
});
afterAll(() => runtime?.stop());

const deployedRules = () => syncDependencies(readEnvironment(), loadConfigFile(process.env.LIFECYCLE_CONFIG!)).rules();

describe('a group name Bitwarden lacks', () => {
  it('is refused by a reload of npm start, naming the rule and the group, and the running rules stay', async () => {
    const file = process.env.LIFECYCLE_CONFIG!;
    const before = await deployedRules();
    writeFileSync(file, misspelt);
    try {
      const refused = await runtime.reloadRules().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(MissingGroupsError);
      expect((refused as Error).message).toMatch(/^Bitwarden has no group named "Enginering" \(named by rule engineering\)/);
    } finally {
      writeFileSync(file, shipped);
    }
    expect(await deployedRules()).toEqual(before);
  });

  it('is refused by the rules deployer of a cdk deploy, before it writes anything', async () => {
    const before = await deployedRules();
    const config = loadConfigFile(process.env.LIFECYCLE_CONFIG!);
    const handler = createRulesDeployerHandler(() => ({ deploy: deployDependencies(readEnvironment(), config), readConfig: async () => shipConfig(parseConfig(misspelt)) }));
    const event = {
      RequestType: 'Update', ServiceToken: 'arn', ResponseURL: 'https://example.invalid', StackId: 'stack', RequestId: 'request', LogicalResourceId: 'Rules', PhysicalResourceId: 'lifecycle-rules',
      ResourceType: 'Custom::LifecycleRules', ResourceProperties: { ServiceToken: 'arn', ConfigBucket: 'bucket', ConfigKey: 'lifecycle.json' }, OldResourceProperties: { ServiceToken: 'arn' },
    } as CloudFormationCustomResourceEvent;
    await expect(handler(event, localContext('rules-deployer', 60))).rejects.toThrow('Bitwarden has no group named "Enginering" (named by rule engineering)');
    expect(await deployedRules()).toEqual(before);
  });

  it('fails rules validate and rules diff, naming the rule and the group', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'rules-')), 'lifecycle.yaml');
    writeFileSync(file, misspelt);
    const validate = await runCli<{ valid: boolean; groupsChecked: boolean; missingGroups: unknown[] }>('rules', 'validate', '--config', file);
    expect(validate.status).toBe(1);
    expect(validate.json).toMatchObject({ valid: false, groupsChecked: true, missingGroups: [{ group: 'Enginering', rules: ['engineering'] }] });
    const diff = await runCli<{ error: string }>('rules', 'diff', '--config', file);
    expect(diff.status).toBe(1);
    expect(diff.json.error).toMatch(/^Bitwarden has no group named "Enginering" \(named by rule engineering\)/);
    // The shipped file names only groups Bitwarden has.
    expect(await runCli('rules', 'validate')).toMatchObject({ status: 0, json: { valid: true, groupsChecked: true, missingGroups: [] } });
  });
});

describe('dead letters', () => {
  const [accountant, salesperson] = [worker({ department: 'Finance', jobTitle: 'Accountant' }), worker({ department: 'Sales', jobTitle: 'Account Executive' })];
  const deliveries = [genericDelivery('worker.hired', accountant, { secret: TEST_SECRET }), genericDelivery('worker.hired', salesperson, { secret: TEST_SECRET })];
  const deadLetters = async () => (await Promise.all(Object.values(runtime.queues).map((queue) => listDeadLetters(sqsClient(), queue.deadLetterUrl)))).flat();

  beforeAll(async () => {
    // An admin deletes a group the rules name, in Bitwarden, after the rules were deployed: every membership fails until it is back.
    const finance = runtime.bitwarden!.groupByName('Finance')!;
    const deleted = await fetch(`${runtime.bitwarden!.url}/public/groups/${finance.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${runtime.bitwarden!.issueToken('api.organization')}` } });
    expect(deleted.status).toBe(200);
    for (const delivery of deliveries) expect((await runtime.post('generic', delivery)).status).toBe(202);
    // SQS moves a message to the dead-letter queue by itself after its last receive: nothing to await but the queue.
    await vi.waitFor(async () => expect((await deadLetters()).map((letter) => letter.deliveryId).sort()).toEqual(deliveries.map((delivery) => delivery.id).sort()), { timeout: 20_000, interval: 250 });
  }, 30_000);

  it('audits every failed attempt with its reason and delivery id', async () => {
    const trail = await syncDependencies(readEnvironment(), loadConfigFile(process.env.LIFECYCLE_CONFIG!)).audit.forWorker(accountant.externalId);
    expect(trail.map((entry) => [entry.outcome, entry.deliveryId])).toEqual([['failed', deliveries[0]!.id], ['failed', deliveries[0]!.id]]);
    expect(trail[0]!.detail).toBe('attempt 1 of 2 failed: MissingGroupsError: Bitwarden has no group named "Finance" (named by rule finance); create it in Bitwarden or fix the rule (names are matched ignoring case; bitwarden.createMissingGroups: true creates them at deploy); it is retried');
    expect(trail[1]!.detail).toMatch(/^attempt 2 of 2 failed: MissingGroupsError: .*; it goes to the dead-letter queue$/);
  });

  it('dlq list says why each message is there, and exits 3', async () => {
    const { status, json } = await runCli<Array<{ lane: string; messages: Array<{ deliveryId: string; workerKey: string; reason: string }> }>>('dlq', 'list');
    expect(status).toBe(3);
    const letters = json.flatMap((lane) => lane.messages);
    expect(letters.map((letter) => letter.workerKey).sort()).toEqual([accountant.externalId, salesperson.externalId].sort());
    for (const letter of letters) expect(letter.reason).toMatch(/^attempt 2 of 2 failed: MissingGroupsError: Bitwarden has no group named "Finance"/);
  });

  it('dlq redrive --delivery moves that one back; an unknown delivery is an error; dlq redrive moves the rest', async () => {
    runtime.bitwarden!.addGroup('Finance');
    const first = runtime.processed(deliveries[0]!.id);
    const one = await runCli<Array<{ deliveryId: string }>>('dlq', 'redrive', '--delivery', deliveries[0]!.id);
    expect(one.status).toBe(0);
    expect(one.json.map((letter) => letter.deliveryId)).toEqual([deliveries[0]!.id]);
    await first;
    expect(runtime.bitwarden!.memberByExternalId(accountant.externalId)?.groupNames).toEqual(['All Staff', 'Finance']);
    expect((await deadLetters()).map((letter) => letter.deliveryId)).toEqual([deliveries[1]!.id]);

    expect(await runCli('dlq', 'redrive', '--delivery', 'msg_unknown')).toMatchObject({ status: 1, json: { error: 'no dead letter of delivery msg_unknown' } });

    const rest = runtime.processed(deliveries[1]!.id);
    expect((await runCli<unknown[]>('dlq', 'redrive')).json).toHaveLength(1);
    await rest;
    expect(runtime.bitwarden!.memberByExternalId(salesperson.externalId)?.groupNames).toEqual(['All Staff']);
    expect(await runCli('dlq', 'list')).toMatchObject({ status: 0 });
  });
});
