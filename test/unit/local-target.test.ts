import { describe, expect, it } from 'vitest';
import { sharedVariables } from '../../lib/runtime/local-target.js';

/** What `npm start` tells the CLI (.local/runtime.json): everything a command needs to act on the local stack. */
describe('the local runtime file', () => {
  it('carries the queues and their dead-letter queues, the tables, Bitwarden, and the sources’ APIs, and nothing else', () => {
    const env = {
      EVENTS_QUEUE_URL: 'q', URGENT_DLQ_URL: 'dlq', EVENTS_DLQ_URL: 'dlq2', WORKERS_TABLE: 't', BITWARDEN_API_URL: 'b', LIFECYCLE_CONFIG: 'c',
      HIBOB_API_URL: 'h', HIBOB_API_CREDENTIALS: 'u:p', AWS_ENDPOINT_URL_SQS: 'e', HOME: '/root', GENERIC_WEBHOOK_SECRET: 'whsec_x',
    };
    expect(sharedVariables(env)).toEqual({
      EVENTS_QUEUE_URL: 'q', URGENT_DLQ_URL: 'dlq', EVENTS_DLQ_URL: 'dlq2', WORKERS_TABLE: 't', BITWARDEN_API_URL: 'b', LIFECYCLE_CONFIG: 'c',
      HIBOB_API_URL: 'h', HIBOB_API_CREDENTIALS: 'u:p', AWS_ENDPOINT_URL_SQS: 'e',
    });
  });
});
