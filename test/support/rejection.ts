import { expect } from 'vitest';
import { WebhookRejection } from '../../lib/sources/source.js';

/** The WebhookRejection that `run` throws; fails the test if it throws something else, or nothing. */
export function rejection(run: () => unknown): WebhookRejection {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookRejection);
    return error as WebhookRejection;
  }
  throw new Error('expected a rejection');
}
