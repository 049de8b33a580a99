import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../lib/runtime/aws.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { Tables } from '../../lib/store/tables.js';
import { WorkerStateStore, type WorkerState } from '../../lib/store/worker-state.js';
import { WorkerRecordSchema } from '../../lib/vocabulary/worker-record.js';
import { worker } from '../support/generic-events.js';
import { freshTables } from '../support/sync-core.js';

/**
 * A worker's item is written whole by every lease and save, and DynamoDB bills it by the kilobyte
 * (lib/store/worker-state.ts): its empty fields are left out, and a read must give back exactly the
 * state that was saved.
 */
beforeAll(freshTables);

const stateOf = (overrides: Partial<WorkerState>, record = WorkerRecordSchema.parse(worker())): Omit<WorkerState, 'version'> => ({
  workerKey: record.externalId,
  provider: 'generic',
  lastEventAt: '2026-01-05T09:00:00.000Z',
  lastDeliveryId: 'd-1',
  recordHash: 'hash',
  record,
  memberId: null,
  access: 'member',
  groups: ['All Staff'],
  revokedAt: null,
  invitedAt: null,
  inviteQueuedAt: null,
  memberWrittenAt: null,
  heldByGuard: false,
  reevaluateAt: null,
  updatedAt: '2026-01-05T09:00:01.000Z',
  ...overrides,
});

describe('the worker state store', () => {
  const table = () => tableName(readEnvironment(), Tables.workers);
  const raw = async (workerKey: string) => (await new DynamoDBClient({}).send(new GetItemCommand({ TableName: table(), Key: { workerKey: { S: workerKey } }, ConsistentRead: true }))).Item!;

  it('keeps no empty field in the item, and reads back the state saved', async () => {
    const workers = new WorkerStateStore(documentClient(), table());
    const saved = stateOf({});
    await workers.save(saved, null);

    expect(await workers.get(saved.workerKey)).toEqual({ ...saved, version: 1 });
    const item = await raw(saved.workerKey);
    expect(Object.entries(item).filter(([, value]) => value.NULL)).toEqual([]);
    expect(Object.entries(item.record!.M!).filter(([, value]) => value.NULL)).toEqual([]);
    expect(item.record!.M!.attributes).toBeUndefined();
    expect(item).not.toHaveProperty('dueShard');
  });

  it('reads back a record with attributes and pushed groups, a linked member and a re-evaluation due', async () => {
    const workers = new WorkerStateStore(documentClient(), table());
    const record = WorkerRecordSchema.parse({ ...worker(), attributes: { costCenter: 'CC-7' }, groups: ['Okta Engineering'], team: null });
    const saved = stateOf({ memberId: 'member-1', reevaluateAt: '2026-02-01T00:00:00.000Z', invitedAt: '2026-01-05T09:00:01.000Z' }, record);
    await workers.save(saved, null);

    expect(await workers.get(saved.workerKey)).toEqual({ ...saved, version: 1 });
    expect(await workers.due(new Date('2026-02-01T00:00:00.000Z'))).toContainEqual(expect.objectContaining({ workerKey: saved.workerKey, reevaluateAt: '2026-02-01T00:00:00.000Z' }));
    expect(await workers.linkedTo('member-1')).toEqual([saved.workerKey]);
    expect((await workers.all()).find((state) => state.workerKey === saved.workerKey)).toEqual({ ...saved, version: 1 });
  });
});
