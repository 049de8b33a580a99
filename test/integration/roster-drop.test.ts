import type { Context, S3Event } from 'aws-lambda';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRosterSyncHandler } from '../../functions/roster-sync.js';
import { loadConfigFile } from '../../lib/config/load.js';
import { localContext } from '../../lib/local/lambda-context.js';
import { randomPrefix } from '../../lib/local/runtime.js';
import { documentClient, s3Client } from '../../lib/runtime/aws.js';
import { rosterSyncDependencies } from '../../lib/runtime/dependencies.js';
import { rosterSources } from '../../lib/sources/connected-sources.js';
import { rosterReader } from '../../lib/runtime/roster-reader.js';
import { readEnvironment, tableName } from '../../lib/runtime/env.js';
import { RosterStore } from '../../lib/store/roster-store.js';
import { Tables } from '../../lib/store/tables.js';
import { MemberStatus } from '../../lib/vocabulary/bitwarden.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/** In AWS an HR export dropped in the roster bucket is read as the file source's roster: the roster function's S3 path, on fauxqs's S3. */
let runtime: TestRuntime;
const bucket = `roster-${randomPrefix()}`;

beforeAll(async () => {
  runtime = await startTestRuntime();
  process.env.AWS_ENDPOINT_URL_S3 = inject('endpoints').sqs; // fauxqs serves S3 on the same port
  await s3Client(readEnvironment()).send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(() => runtime?.stop());

const dropped = (key: string): S3Event => ({
  Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key } } }],
}) as unknown as S3Event;

describe('an HR export dropped in the roster bucket', () => {
  it('is read as the file source’s roster, and its workers are applied', async () => {
    const key = 'roster/weekly export.csv';
    await s3Client(readEnvironment()).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'externalId,workEmail,status,department\nD-1,d1@example.com,active,Engineering\nD-2,d2@example.com,active,Finance\n' }));
    const env = readEnvironment();
    const config = loadConfigFile(env.LIFECYCLE_CONFIG);
    const handler = createRosterSyncHandler(() => ({
      sources: rosterSources(config.providers),
      store: new RosterStore(documentClient(), tableName(env, Tables.roster)),
      dependenciesFor: (source: string, timeLeft: () => number, location?: string) => rosterSyncDependencies(env, config, rosterReader(env, config, source, location), timeLeft),
      intervalMinutes: 60,
      lockMs: 60_000,
      now: () => new Date(),
    }));
    const processed = runtime.processedCount(2, (message) => message.provider === 'file');
    // S3 events carry URL-encoded keys, spaces as "+".
    expect(await handler(dropped('roster/weekly+export.csv'), localContext('roster-sync', 60) as Context)).toEqual([{ source: 'file', outcome: 'read' }]);
    await processed;
    expect(runtime.bitwarden!.memberByExternalId('D-1')).toMatchObject({ status: MemberStatus.Invited, groupNames: ['All Staff', 'Engineering'] });
    expect(runtime.bitwarden!.memberByExternalId('D-2')).toMatchObject({ status: MemberStatus.Invited, groupNames: ['All Staff', 'Finance'] });
  });
});
