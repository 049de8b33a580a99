import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts the AWS calls this process makes (the local runtime runs every handler in it), by the SDK
 * clients' shared base class. DynamoDB writes and reads are the capacity units DynamoDB reports for
 * each request (ReturnConsumedCapacity, indexes included): what on-demand billing charges, with an
 * item's size, the larger of its old and new image, and its index writes counted. SQS requests are
 * counted apart from a receive that returned nothing (a poll). Bench-only instrumentation.
 */
export interface AwsCallCounts {
  /** DynamoDB requests, whatever their size. */
  dynamoRequests: number;
  /** Write request units, the indexes' included. */
  dynamoWrites: number;
  /** Read request units. */
  dynamoReads: number;
  sqsRequests: number;
  sqsEmptyReceives: number;
  /** Write units by table and command (`deliveries PutCommand`), to see what each event pays for. */
  dynamoWritesBy: Record<string, number>;
  /** Read units by table and command, likewise. */
  dynamoReadsBy: Record<string, number>;
  /** Requests by table and command, whatever their size: what a busy DynamoDB Local queues. */
  dynamoRequestsBy: Record<string, number>;
}

const none = (): AwsCallCounts => ({ dynamoRequests: 0, dynamoWrites: 0, dynamoReads: 0, sqsRequests: 0, sqsEmptyReceives: 0, dynamoWritesBy: {}, dynamoReadsBy: {}, dynamoRequestsBy: {} });
const counts = none();
const countWrite = (what: string, units: number) => {
  counts.dynamoWrites += units;
  counts.dynamoWritesBy[what] = (counts.dynamoWritesBy[what] ?? 0) + units;
};
const countRead = (what: string, units: number) => {
  counts.dynamoReads += units;
  counts.dynamoReadsBy[what] = (counts.dynamoReadsBy[what] ?? 0) + units;
};
const WRITES = new Set(['PutCommand', 'UpdateCommand', 'DeleteCommand', 'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteCommand', 'BatchWriteItemCommand']);
const READS = new Set(['GetCommand', 'GetItemCommand', 'QueryCommand', 'QueryItemCommand', 'ScanCommand', 'ScanItemCommand']);

interface ConsumedCapacity {
  TableName?: string;
  CapacityUnits?: number;
}

const base = Object.getPrototypeOf(DynamoDBClient.prototype) as { send(command: unknown, ...rest: unknown[]): Promise<unknown> };
const send = base.send;
base.send = async function (this: unknown, command: { constructor: { name: string }; input?: Record<string, unknown> }, ...rest: unknown[]) {
  const name = command.constructor.name;
  const dynamo = WRITES.has(name) || READS.has(name);
  const what = `${String(command.input?.TableName ?? 'batch')} ${name}`;
  if (dynamo) {
    counts.dynamoRequests++;
    counts.dynamoRequestsBy[what] = (counts.dynamoRequestsBy[what] ?? 0) + 1;
  }
  if (dynamo && command.input) command.input.ReturnConsumedCapacity = 'INDEXES';
  let output: Record<string, unknown> | undefined;
  try {
    output = (await send.call(this, command, ...rest)) as Record<string, unknown> | undefined;
  } catch (error) {
    // A refused conditional write is billed too, but its answer reports no capacity: counted as the one unit of an item under 1 KB.
    if (WRITES.has(name)) countWrite(`${what} (refused)`, 1);
    throw error;
  }
  if (dynamo) {
    const consumed = ([] as ConsumedCapacity[]).concat((output?.ConsumedCapacity as ConsumedCapacity | ConsumedCapacity[] | undefined) ?? []);
    for (const { TableName, CapacityUnits = 0 } of consumed) (WRITES.has(name) ? countWrite : countRead)(`${TableName} ${name}`, CapacityUnits);
  } else if (name === 'ReceiveMessageCommand' && !(output?.Messages as unknown[] | undefined)?.length) counts.sqsEmptyReceives++;
  else if (/Message|Visibility/.test(name)) counts.sqsRequests++;
  return output;
};

/** What was counted since the last reset. */
export function awsCalls(): AwsCallCounts {
  return { ...counts, dynamoWritesBy: { ...counts.dynamoWritesBy }, dynamoReadsBy: { ...counts.dynamoReadsBy }, dynamoRequestsBy: { ...counts.dynamoRequestsBy } };
}

export function resetAwsCalls(): void {
  Object.assign(counts, none());
}
