import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccessToken, SharedToken } from '../bitwarden/client.js';
import { writeUnlessRefused } from './dynamo.js';

const TOKEN_ID = 'access-token';

/**
 * The Bitwarden access token every invocation shares (lib/bitwarden/client.ts, SharedToken): one
 * item, written by the invocation that asked Bitwarden for it, read by every container after. The
 * table is encrypted at rest and only the functions that call Bitwarden can read it (cdk/lifecycle-stack.ts).
 */
export class DynamoSharedToken implements SharedToken {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async read(): Promise<AccessToken | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { id: TOKEN_ID }, ConsistentRead: true }));
    return Item && typeof Item.value === 'string' && typeof Item.expiresAt === 'number' ? { value: Item.value, expiresAt: Item.expiresAt } : null;
  }

  /** Replaces the shared token unless it already lasts longer (two containers that asked at once keep the later one). */
  async write(token: AccessToken): Promise<void> {
    await writeUnlessRefused(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { id: TOKEN_ID, value: token.value, expiresAt: token.expiresAt, expiresAtSeconds: Math.ceil(token.expiresAt / 1000) + 3600 },
          ConditionExpression: 'attribute_not_exists(id) OR expiresAt < :expiresAt',
          ExpressionAttributeValues: { ':expiresAt': token.expiresAt },
        }),
      ),
    );
  }

  async forget(value: string): Promise<void> {
    await writeUnlessRefused(this.db.send(new DeleteCommand({ TableName: this.table, Key: { id: TOKEN_ID }, ConditionExpression: '#value = :value', ExpressionAttributeNames: { '#value': 'value' }, ExpressionAttributeValues: { ':value': value } })));
  }
}
