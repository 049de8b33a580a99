import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryAll } from './dynamo.js';

/**
 * The users and groups identity providers pushed over SCIM, so that `GET /Users/{id}`, filters and
 * PATCH work (docs/design.md, "SCIM"). One partition per provider (`scope`), one item per resource.
 * A group's members are kept on the users (`groups`), never as a list on the group: an "All
 * employees" group would outgrow an item, and a user's record needs its groups anyway.
 */
export interface StoredScimResource {
  scope: string;
  type: 'User' | 'Group';
  id: string;
  /** Optimistic lock: each write names the version it read. */
  version: number;
  created: string;
  /** Strictly increasing per resource: it dates the worker change a write sends. */
  lastModified: string;
  /** The attributes the provider sent, in the schema's spelling (lib/scim/resources.ts). */
  resource: Record<string, unknown>;
  /** Users: the worker key, fixed at creation (the provider's externalId, else the SCIM id). */
  workerKey?: string;
  /** Users: the groups the provider put them in. */
  groups?: Array<{ value: string; display: string }>;
}

/** Someone else wrote the resource since it was read. */
export class ScimVersionConflict extends Error {
  override readonly name = 'ScimVersionConflict';
}

export interface ScimResourceStore {
  list(scope: string, type: StoredScimResource['type']): Promise<StoredScimResource[]>;
  get(scope: string, type: StoredScimResource['type'], id: string): Promise<StoredScimResource | null>;
  /** Writes `item` if the stored version is still `item.version - 1` (absent for version 1); else ScimVersionConflict. */
  put(item: StoredScimResource): Promise<void>;
  /** Deletes the resource if it is still at `version`; else ScimVersionConflict. */
  delete(item: Pick<StoredScimResource, 'scope' | 'type' | 'id' | 'version'>): Promise<void>;
}

const resourceKey = (type: string, id: string) => `${type}#${id}`;

export function scimResourceStore(db: DynamoDBDocumentClient, tableName: string): ScimResourceStore {
  const conditional = async (write: () => Promise<unknown>) => {
    try {
      await write();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ScimVersionConflict('the resource changed while it was being written');
      throw error;
    }
  };
  return {
    list: (scope, type) =>
      queryAll<StoredScimResource>(db, {
        TableName: tableName,
        KeyConditionExpression: '#scope = :scope AND begins_with(resourceKey, :type)',
        ExpressionAttributeNames: { '#scope': 'scope' },
        ExpressionAttributeValues: { ':scope': scope, ':type': `${type}#` },
        ConsistentRead: true,
      }),
    async get(scope, type, id) {
      const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: { scope, resourceKey: resourceKey(type, id) }, ConsistentRead: true }));
      return (Item as StoredScimResource | undefined) ?? null;
    },
    put: (item) =>
      conditional(() =>
        db.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...item, resourceKey: resourceKey(item.type, item.id) },
            ...(item.version === 1
              ? { ConditionExpression: 'attribute_not_exists(resourceKey)' }
              : { ConditionExpression: '#version = :previous', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':previous': item.version - 1 } }),
          }),
        ),
      ),
    delete: (item) =>
      conditional(() =>
        db.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { scope: item.scope, resourceKey: resourceKey(item.type, item.id) },
            ConditionExpression: '#version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': item.version },
          }),
        ),
      ),
  };
}
