/** The SQS queues, defined once for the CDK stack and the local runtime. */
export interface QueueDefinition {
  id: string;
  envVar: string;
  /** The dead-letter queue's URL, for the admin CLI. */
  deadLetterEnvVar: string;
  /** FIFO: one writer per worker (MessageGroupId = worker key). */
  fifo: true;
  /**
   * After this many failed receives a message moves to the dead-letter queue. With the worker's
   * backoff (2, 4, 8, 16, 32, then 60 s: functions/worker.ts) ten receives ride out about five
   * minutes of Bitwarden failing, so an outage that short dead-letters nothing.
   */
  maxReceiveCount: number;
  /** Must exceed the worker's timeout, so a message is not handed out twice while it is being processed. */
  visibilityTimeoutSeconds: number;
  /**
   * Most worker invocations at once on this lane: the event source mapping's maximum concurrency
   * (the local runtime runs fewer: lib/local/runtime.ts). Bitwarden's cloud counts calls per client
   * IP, so more would only wait for the same rate budget.
   */
  maxConcurrency: number;
}

export const Queues = {
  /** Hires, role changes: everything that cannot take access away. */
  events: { id: 'WorkerEvents', envVar: 'EVENTS_QUEUE_URL', deadLetterEnvVar: 'EVENTS_DLQ_URL', fifo: true, maxReceiveCount: 10, visibilityTimeoutSeconds: 180, maxConcurrency: 4 },
  /** Terminations, end dates, removals, sweeps (docs/design.md, decision 7): its own workers, so a backlog of hires cannot delay a revocation. */
  urgent: { id: 'UrgentEvents', envVar: 'URGENT_QUEUE_URL', deadLetterEnvVar: 'URGENT_DLQ_URL', fifo: true, maxReceiveCount: 10, visibilityTimeoutSeconds: 180, maxConcurrency: 2 },
} as const satisfies Record<string, QueueDefinition>;

export type Lane = keyof typeof Queues;

/** The worker Lambda's timeout; the queue's visibility timeout is six times it, as AWS advises for event source mappings. */
export const WORKER_TIMEOUT_SECONDS = 30;
