import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { WorkerRecordSchema } from '../../lib/vocabulary/worker-record.js';
import type { BitwardenEmulator } from '../../lib/local/bitwarden/emulator.js';
import { documentClient } from '../../lib/runtime/aws.js';
import { Tables } from '../../lib/store/tables.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { WorkerStateStore } from '../../lib/store/worker-state.js';
import { applyWorkerEvent } from '../../lib/sync/apply-worker-event.js';
import { bitwardenPair } from '../support/bitwarden.js';
import { freshTables, syncCore } from '../support/sync-core.js';
import { worker } from '../support/generic-events.js';
import { contractViolations } from '../support/openapi-contract.js';

const config = parseConfig('rules:\n  - id: everyone\n    groups: [All Staff]\n');
let emulator: BitwardenEmulator;

beforeAll(freshTables);
afterAll(() => emulator?.stop());

describe('an invite that races another invite of the same e-mail', () => {
  it('links the member Bitwarden already has instead of inviting a second time', async () => {
    const pair = await bitwardenPair({ groups: ['All Staff'] });
    emulator = pair.emulator;
    const client = pair.client;
    const record = WorkerRecordSchema.parse(worker());
    // Someone invites the same person by hand just after the worker listed the members.
    const list = client.listMembers.bind(client);
    let listed = 0;
    client.listMembers = async () => {
      const members = await list();
      if (listed++ === 0) emulator.addMember({ email: record.workEmail!, status: 0 });
      return members;
    };

    const result = await applyWorkerEvent(
      { version: 1, provider: 'generic', workerKey: record.externalId, deliveryId: 'd-1', eventType: 'worker.hired', occurredAt: '2026-01-05T09:00:00Z', receivedAt: '2026-01-05T09:00:01Z', subject: { kind: 'record', worker: record } },
      syncCore(client, { rules: config.rules, policy: config.policy, now: () => new Date('2026-01-05T09:00:02Z') }),
    );

    expect(emulator.writes().map((exchange) => `${exchange.method} ${exchange.route} ${exchange.status}`)).toEqual([
      'POST /public/members 400',
      'PUT /public/members/{id} 200',
      'PUT /public/members/{id}/group-ids 200',
    ]);
    expect(emulator.allMembers()).toEqual([expect.objectContaining({ email: record.workEmail, externalId: record.externalId, groupNames: ['All Staff'] })]);
    expect(result).toMatchObject({ outcome: 'applied', executed: [{ action: { kind: 'link' } }, { action: { kind: 'set-groups' } }] });
    expect((await new WorkerStateStore(documentClient(), tableName(readEnvironment(), Tables.workers)).get(record.externalId))!.memberId).toBe(emulator.allMembers()[0]!.id);
    expect(contractViolations(emulator.exchanges)).toEqual([]);
  });
});
