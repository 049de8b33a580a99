import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts the AWS calls this process makes (the local runtime runs every handler in it), by the SDK
 * clients' shared base class: DynamoDB writes and reads as capacity units for items under 1 KB,
 * SQS requests (a receive that returned nothing is a poll, counted apart). Bench-only instrumentation.
 */
export interface AwsCallCounts {
  dynamoWrites: number;
  dynamoReads: number;
  sqsRequests: number;
  sqsEmptyReceives: number;
  /** DynamoDB writes by table and command (`deliveries PutCommand`), to see what each event pays for. */
  dynamoWritesBy: Record<string, number>;
  /** DynamoDB reads by table and command, likewise. */
  dynamoReadsBy: Record<string, number>;
}

const counts: AwsCallCounts = { dynamoWrites: 0, dynamoReads: 0, sqsRequests: 0, sqsEmptyReceives: 0, dynamoWritesBy: {}, dynamoReadsBy: {} };
const countWrite = (what: string, n = 1) => {
  counts.dynamoWrites += n;
  counts.dynamoWritesBy[what] = (counts.dynamoWritesBy[what] ?? 0) + n;
};
const countRead = (what: string, n = 1) => {
  counts.dynamoReads += n;
  counts.dynamoReadsBy[what] = (counts.dynamoReadsBy[what] ?? 0) + n;
};
const WRITES = new Set(['PutCommand', 'UpdateCommand', 'DeleteCommand', 'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);
const READS = new Set(['GetCommand', 'GetItemCommand']);

const base = Object.getPrototypeOf(DynamoDBClient.prototype) as { send(command: unknown, ...rest: unknown[]): Promise<unknown> };
const send = base.send;
base.send = async function (this: unknown, command: { constructor: { name: string }; input?: Record<string, unknown> }, ...rest: unknown[]) {
  const name = command.constructor.name;
  // A refused conditional write is billed as a write: counted before it is sent.
  if (WRITES.has(name)) countWrite(`${String(command.input?.TableName)} ${name}`);
  else if (name === 'BatchWriteCommand' || name === 'BatchWriteItemCommand')
    for (const [table, items] of Object.entries((command.input?.RequestItems ?? {}) as Record<string, unknown[]>)) countWrite(`${table} ${name}`, items.length);
  else if (READS.has(name)) countRead(`${String(command.input?.TableName)} ${name}`);
  const output = (await send.call(this, command, ...rest)) as Record<string, unknown> | undefined;
  if (name === 'QueryCommand' || name === 'ScanCommand') countRead(`${String(command.input?.TableName)} ${name}`, Math.max(1, Math.ceil(Number(output?.Count ?? 0) / 40)));
  else if (name === 'ReceiveMessageCommand' && !(output?.Messages as unknown[] | undefined)?.length) counts.sqsEmptyReceives++;
  else if (/Message|Visibility/.test(name)) counts.sqsRequests++;
  return output;
};

/** What was counted since the last reset. */
export function awsCalls(): AwsCallCounts {
  return { ...counts, dynamoWritesBy: { ...counts.dynamoWritesBy }, dynamoReadsBy: { ...counts.dynamoReadsBy } };
}

export function resetAwsCalls(): void {
  Object.assign(counts, { dynamoWrites: 0, dynamoReads: 0, sqsRequests: 0, sqsEmptyReceives: 0, dynamoWritesBy: {}, dynamoReadsBy: {} });
}
