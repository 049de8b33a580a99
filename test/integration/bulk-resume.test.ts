import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import type { BitwardenEmulator } from '../../lib/local/bitwarden/emulator.js';
import { reevaluation } from '../../lib/queue/message.js';
import { applyWorkerEvent } from '../../lib/sync/apply-worker-event.js';
import { BULK_RESUME, BulkInviter, type BulkInviteDependencies } from '../../lib/sync/bulk-invites.js';
import { bitwardenPair } from '../support/bitwarden.js';
import { freshTables, syncCore } from '../support/sync-core.js';

/**
 * An importer out of time hands the invitations still waiting on in a re-evaluation of one waiting
 * worker (lib/sync/bulk-invites.ts). Its handler imports them whatever becomes of that worker's own
 * event, and never in a dry run.
 */
const config = parseConfig('rules:\n  - id: everyone\n    groups: [All Staff]\n');
let emulator: BitwardenEmulator;

beforeAll(freshTables);
afterAll(() => emulator?.stop());

/** Counts the imports asked for; what an import does is test/integration/throughput.test.ts's. */
class CountingInviter extends BulkInviter {
  flushes = 0;
  override async flush(): Promise<number> {
    this.flushes++;
    return 0;
  }
}

async function resumeWith(options: { dryRun: boolean; rulesFail: boolean }) {
  const pair = await bitwardenPair({ groups: ['All Staff'] });
  await emulator?.stop();
  emulator = pair.emulator;
  const inviter = new CountingInviter({} as BulkInviteDependencies);
  const deps = {
    ...syncCore(pair.client, { rules: config.rules, policy: { ...config.policy, dryRun: options.dryRun }, now: () => new Date() }),
    bulkInvites: inviter,
    rules: async () => {
      if (options.rulesFail) throw new Error('the rules table did not answer');
      return config.rules;
    },
  };
  const applied = applyWorkerEvent(reevaluation('WAITING-1', BULK_RESUME, new Date(), false), deps);
  return { applied, inviter };
}

describe('a handed-on bulk import', () => {
  it('runs even when the event of the worker it names fails (that event is retried on its own)', async () => {
    const { applied, inviter } = await resumeWith({ dryRun: false, rulesFail: true });
    await expect(applied).rejects.toThrow('the rules table did not answer');
    expect(inviter.flushes).toBe(1);
  });

  it('runs after the worker it names is applied', async () => {
    const { applied, inviter } = await resumeWith({ dryRun: false, rulesFail: false });
    expect(await applied).toMatchObject({ outcome: 'skipped' });
    expect(inviter.flushes).toBe(1);
  });

  it('does not run in a dry run', async () => {
    const { applied, inviter } = await resumeWith({ dryRun: true, rulesFail: false });
    await applied;
    expect(inviter.flushes).toBe(0);
  });
});
