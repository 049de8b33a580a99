import { randomUUID } from 'node:crypto';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { writeUnlessRefused } from './dynamo.js';

/** What the product tells people (lib/notify): held changes, dead letters, failed invites, drift, invitations nobody accepted, members awaiting confirmation. */
export const notificationKinds = ['guard-hold', 'dead-letter', 'invite-failed', 'drift', 'invite-not-accepted', 'pending-confirmation'] as const;
export type NotificationKind = (typeof notificationKinds)[number];

export interface Notification {
  kind: NotificationKind;
  at: string;
  /** One line: what happened. */
  subject: string;
  /** What it means and what to do (docs/runbook.md, "Notifications"). */
  message: string;
  /** The worker and delivery it concerns, when it concerns one. */
  workerKey: string | null;
  deliveryId: string | null;
}

const DAY_SECONDS = 86_400;
/** The notifications `lifecycle events` lists are kept this long. */
const KEPT_DAYS = 90;
const EVENTS = 'event';

/**
 * The notifications table: every notification sent (one partition in time order: a few a day), and
 * "told" markers that keep one cause from being told again within a quiet period (a mass hold is one
 * message, not one per worker).
 */
export class NotificationStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async append(notification: Notification): Promise<void> {
    const sk = `${notification.at}#${randomUUID()}`;
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: EVENTS, sk, ...notification, expiresAt: Math.floor(Date.parse(notification.at) / 1000) + KEPT_DAYS * DAY_SECONDS } }));
  }

  /** The newest `limit` notifications, newest first. */
  async recent(limit: number): Promise<Notification[]> {
    const { Items } = await this.db.send(new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': EVENTS }, ScanIndexForward: false, Limit: limit, ConsistentRead: true }));
    return (Items ?? []).map(({ kind, at, subject, message, workerKey, deliveryId }) => ({ kind, at, subject, message, workerKey, deliveryId }) as Notification);
  }

  /** True for the first caller of `key` until `quietSeconds` have passed (one conditional write, so two callers at once cannot both win). */
  async firstWithin(key: string, now: Date, quietSeconds: number): Promise<boolean> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    return writeUnlessRefused(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: 'told', sk: key, until: nowSeconds + quietSeconds, expiresAt: nowSeconds + quietSeconds + DAY_SECONDS },
          ConditionExpression: 'attribute_not_exists(pk) OR #until <= :now',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      ),
    );
  }
}
