import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { FunctionUrlHandler } from '../../lib/local/http-server.js';
import { withReservedConcurrency } from '../../lib/local/reserved-concurrency.js';

/** A handler whose invocations stay running until the test lets each go, counting how many ever ran. */
function heldHandler() {
  const releases: Array<() => void> = [];
  const held = {
    ran: 0,
    handler: (async () => {
      held.ran++;
      await new Promise<void>((resolve) => releases.push(resolve));
      return { statusCode: 202, body: '{}' };
    }) as FunctionUrlHandler,
    releaseOne: () => releases.shift()!(),
  };
  return held;
}

const invoke = (handler: FunctionUrlHandler) => handler({} as LambdaFunctionURLEvent, {} as Context);
const quick: FunctionUrlHandler = async () => ({ statusCode: 202, body: '{}' });
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('a function URL in front of reserved concurrency, as npm start runs the ingest and SCIM functions', () => {
  it('answers 429 to a request that finds every reserved invocation running, without running the function, and runs the next once one ends', async () => {
    const held = heldHandler();
    const throttled = withReservedConcurrency(2, held.handler);
    const first = invoke(throttled);
    const second = invoke(throttled);
    const refused = await invoke(throttled);
    expect(refused.statusCode).toBe(429);
    expect(held.ran).toBe(2);

    held.releaseOne();
    expect((await first).statusCode).toBe(202);
    const third = invoke(throttled);
    await turn();
    expect(held.ran).toBe(3);
    held.releaseOne();
    held.releaseOne();
    expect([(await second).statusCode, (await third).statusCode]).toEqual([202, 202]);
  });

  it('frees the invocation of a handler that failed', async () => {
    let now = 0;
    let fail = true;
    const throttled = withReservedConcurrency(1, async () => {
      if (fail) throw new Error('handler failed');
      return { statusCode: 202, body: '{}' };
    }, () => now);
    await expect(invoke(throttled)).rejects.toThrow('handler failed');
    fail = false;
    now = 100;
    expect((await invoke(throttled)).statusCode).toBe(202);
  });

  it('starts at most ten invocations a second for each one reserved, however briefly they run', async () => {
    let now = 0;
    const throttled = withReservedConcurrency(1, quick, () => now);
    const answers: number[] = [];
    for (let request = 0; request < 11; request++) answers.push((await invoke(throttled)).statusCode!);
    expect(answers).toEqual([...Array<number>(10).fill(202), 429]);

    now = 100; // a tenth of a second: one more start
    expect((await invoke(throttled)).statusCode).toBe(202);
    expect((await invoke(throttled)).statusCode).toBe(429);
    now = 10_000; // a quiet spell refills at most one second's worth
    for (let request = 0; request < 10; request++) expect((await invoke(throttled)).statusCode).toBe(202);
    expect((await invoke(throttled)).statusCode).toBe(429);
  });
});
