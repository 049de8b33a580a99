import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { FUZZ_CONFIG, runFuzz } from '../support/fuzz/run.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/**
 * `npm run fuzz` in small: the same generator and checks (test/support/fuzz/), 150 deliveries per
 * provider with a fixed seed, on the shared test servers. The script runs 10,000 per provider.
 */
const SEED = 20_250_602;
const PER_PROVIDER = 150;

let runtime: TestRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime(FUZZ_CONFIG);
});
afterAll(() => runtime?.stop());

describe('fuzzing every provider through the running product', () => {
  it(`${PER_PROVIDER} valid, mutated and forged deliveries per provider: nothing forged enqueued, nothing accepted lost, no crash, only documented answers`, async () => {
    const report = await runFuzz(runtime, parseConfig(FUZZ_CONFIG), { seed: SEED, perProvider: PER_PROVIDER, batchSize: 75, drainTimeoutMs: 40_000 });

    expect(report.violations, `seed ${SEED}: ${JSON.stringify(report.violations.slice(0, 3), null, 2)}`).toEqual([]);
    for (const totals of report.totals) {
      expect(totals.sent).toBeGreaterThanOrEqual(PER_PROVIDER);
      // The generator reaches every path: accepted changes reach outcomes, replays are recognized, forgeries refused.
      expect(totals.accepted, totals.provider).toBeGreaterThan(0);
      expect(totals.outcomes.applied + totals.outcomes.skipped, totals.provider).toBeGreaterThan(0);
      expect(totals.statuses[401], totals.provider).toBeGreaterThan(0);
      expect(totals.statuses[400], totals.provider).toBeGreaterThan(0);
    }
    expect(report.totals.map((totals) => totals.provider)).toEqual(['generic', 'bamboohr', 'hibob', 'merge', 'finch']);
  }, 60_000);
});
