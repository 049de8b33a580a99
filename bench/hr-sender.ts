/**
 * The HR system of the wave scenario (bench/run.ts), as a process of its own: it is one in
 * production. Sent from the bench's own process, the wave's 50 new connections waited for that
 * process's busy event loop, which accepts about one connection a turn, and a termination sent
 * beside them was received 3.5 s late: the sender's wait, not the product's.
 *
 * Told (over IPC) the ingest's URL, the secret and the people, it posts every hire with 50 in
 * flight and, meanwhile, each termination 500 ms after the answer to the one before; it answers
 * with when it began, when the last hire was answered, how long each hire waited for its answer,
 * and when each termination was sent and answered (epoch ms: one clock on one machine).
 */
import { genericDelivery, postDelivery, type WorkerInput } from '../test/support/generic-events.js';

export interface SenderOrder {
  url: string;
  secret: string;
  hires: WorkerInput[];
  leavers: WorkerInput[];
  inFlight: number;
  terminationGapMs: number;
}

export interface SenderReport {
  /** When the first delivery went out (epoch ms). */
  startedAt: number;
  /** When the last hire's webhook was answered (epoch ms): after it, the wave is the product's backlog alone. */
  hiresAnsweredAt: number;
  /** How long each hire's webhook took to be answered (ms), in the order they were answered. */
  hireAnswerMs: number[];
  terminations: SentTermination[];
}

export interface SentTermination {
  workerKey: string;
  sentAt: number;
  ackedAt: number;
}

async function send(order: SenderOrder): Promise<SenderReport> {
  const startedAt = Date.now();
  const pending = [...order.hires];
  const hireAnswerMs: number[] = [];
  const hiring = Promise.all(Array.from({ length: order.inFlight }, async () => {
    for (let person = pending.shift(); person; person = pending.shift()) {
      const delivery = genericDelivery('worker.hired', person, { secret: order.secret });
      const sentAt = Date.now();
      await postDelivery(order.url, delivery);
      hireAnswerMs.push(Date.now() - sentAt);
    }
  })).then(() => Date.now());
  const terminations: SentTermination[] = [];
  for (const person of order.leavers) {
    const delivery = genericDelivery('worker.terminated', { ...person, status: 'terminated', terminationDate: '2026-01-01' }, { secret: order.secret });
    const sentAt = Date.now();
    await postDelivery(order.url, delivery);
    terminations.push({ workerKey: person.externalId, sentAt, ackedAt: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, order.terminationGapMs));
  }
  return { startedAt, hiresAnsweredAt: await hiring, hireAnswerMs, terminations };
}

process.once('message', (order: SenderOrder) => {
  send(order).then(
    (report) => process.send!(report, () => process.exit(0)),
    (error: unknown) => process.send!({ error: String(error) }, () => process.exit(1)),
  );
});
