import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { z } from 'zod';
import type { WorkerRecordSchema } from '../../lib/vocabulary/worker-record.js';

export type WorkerInput = z.input<typeof WorkerRecordSchema>;

export function worker(overrides: Partial<WorkerInput> = {}): WorkerInput {
  return {
    externalId: `E-${randomUUID().slice(0, 8)}`,
    workEmail: `${randomUUID().slice(0, 8)}@example.com`,
    firstName: 'Test',
    lastName: 'Worker',
    jobTitle: 'Software Engineer',
    department: 'Engineering',
    location: 'Remote',
    employmentType: 'employee',
    status: 'active',
    startDate: '2024-01-15',
    endDate: null,
    terminationDate: null,
    ...overrides,
  };
}

export interface SignedDelivery {
  id: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A generic-format delivery signed by the reference Standard Webhooks library, so the product's
 * own verifier is checked against an independent implementation.
 */
export function genericDelivery(
  type: 'worker.hired' | 'worker.updated' | 'worker.terminated',
  record: WorkerInput,
  options: { secret: string; occurredAt?: string; id?: string; signedAt?: Date },
): SignedDelivery {
  const id = options.id ?? `msg_${randomUUID().replaceAll('-', '')}`;
  const body = JSON.stringify({ type, timestamp: options.occurredAt ?? new Date().toISOString(), data: { source: { system: 'test' }, worker: record } }, null, 2);
  const signedAt = options.signedAt ?? new Date();
  const signature = new Webhook(options.secret).sign(id, signedAt, body);
  return {
    id,
    body,
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(signedAt.getTime() / 1000)), 'webhook-signature': signature },
  };
}

/** Posts a delivery to a webhook URL as its sender would; an answer other than 2xx throws. */
export async function postDelivery(url: string, delivery: Pick<SignedDelivery, 'headers' | 'body'>): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: delivery.headers, body: delivery.body });
  await response.text();
  if (response.status >= 300) throw new Error(`webhook answered ${response.status}`);
}
