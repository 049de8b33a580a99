import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCTOR_WORKER, type Check } from '../../lib/cli/doctor.js';
import { runCli, runLifecycle } from '../support/cli.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/** Issue 16, `lifecycle doctor`: every check against the running product, and what a failing one says. */
let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
  // npm start records its address for the CLI (lib/local/main.ts); this runtime is the test's.
  process.env.LIFECYCLE_API_URL = runtime.url;
});
afterAll(async () => {
  delete process.env.LIFECYCLE_API_URL;
  await runtime?.stop();
});

type Report = { ok: boolean; checks: Check[] };

describe('npx lifecycle doctor', () => {
  it('passes every check, including a signed test delivery through the whole path that writes nothing to Bitwarden, and exits 0', async () => {
    runtime.bitwarden!.clearRequests();
    const { status, json } = await runCli<Report>('doctor');
    expect(json.checks.filter((check) => check.status !== 'pass')).toEqual([]);
    expect(status).toBe(0);
    expect(json.checks.map((check) => check.check)).toEqual(['config', 'bitwarden', 'groups', 'secrets: generic', 'tables', 'queues', 'test delivery']);
    expect(json.checks.at(-1)!.detail).toMatch(/^delivery msg_doctor_\w+: signature accepted \(202\), through the urgent lane to the worker, audited "applied"/);
    // The delivery reached the worker, which read Bitwarden and changed nothing.
    expect(runtime.bitwarden!.writes()).toEqual([]);
    expect(runtime.bitwarden!.memberByExternalId(DOCTOR_WORKER)).toBeUndefined();
  });

  it('fails on a rule naming a group Bitwarden lacks, says which and what to do, and exits 1', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'doctor-')), 'lifecycle.yaml');
    writeFileSync(file, readFileSync('cdk/config/lifecycle.yaml', 'utf8').replace('groups: [Customer Success]', 'groups: [Customer Sucess]'));
    const { status, json } = await runCli<Report>('doctor', '--config', file);
    expect(status).toBe(1);
    expect(json.ok).toBe(false);
    expect(json.checks.filter((check) => check.status === 'fail')).toEqual([
      {
        check: 'groups',
        status: 'fail',
        detail: expect.stringMatching(/^Bitwarden has no group named "Customer Sucess" \(named by rule customer-success\)/),
        fix: 'Create the group in Bitwarden (Admin Console › Groups), or correct its name in the rule, then deploy the config again.',
      },
    ]);
    // For people: each check on a line, pass or FAIL, and what to do under a failure.
    const text = await runLifecycle(['doctor', '--aws', '--config', file]);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^FAIL {2}groups: Bitwarden has no group named "Customer Sucess".*\n {6}→ Create the group in Bitwarden/m);
    expect(text.stdout).toContain('1 check(s) failed.');
  });

  it('checks a directory\'s API credentials (it reads an API, though it takes no webhook), naming the missing variable', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'doctor-')), 'lifecycle.yaml');
    writeFileSync(file, readFileSync('cdk/config/lifecycle.yaml', 'utf8').replace(/^providers:\n/m, 'providers:\n  entradirectory: { tenantId: contoso.onmicrosoft.com }\n'));
    const { status, stdout } = await runLifecycle(['doctor', '--json', '--aws', '--config', file], { env: { ENTRADIRECTORY_API_CREDENTIALS: '' } });
    expect(status).toBe(1);
    expect((JSON.parse(stdout) as Report).checks.filter((check) => check.status === 'fail')).toEqual([
      expect.objectContaining({ check: 'secrets: entradirectory', detail: 'ENTRADIRECTORY_API_CREDENTIALS: neither ENTRADIRECTORY_API_CREDENTIALS nor ENTRADIRECTORY_API_CREDENTIALS_ARN is set' }),
    ]);
  });
});
