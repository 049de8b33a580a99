import type { Notification, NotificationStore } from '../store/notifications.js';

export type { Notification, NotificationKind } from '../store/notifications.js';

/** Tells people what needs them (docs/runbook.md, "Notifications"). */
export interface Notifier {
  notify(notification: Notification): Promise<void>;
  /** Tells it only if nothing was told under `key` in the last `quietSeconds`: one mass hold is one message, not one per worker. */
  notifyOnce(key: string, quietSeconds: number, notification: Notification): Promise<void>;
}

/** Where a notification goes besides the notifications table: the SNS topic in AWS (lib/notify/sns.ts), the console under npm start. */
export type Channel = (notification: Notification) => Promise<void>;

/**
 * Every notification is kept in the notifications table (so `lifecycle events` lists it, in AWS as
 * locally), then sent on each channel.
 */
export class RecordingNotifier implements Notifier {
  constructor(
    private readonly store: NotificationStore,
    private readonly channels: readonly Channel[],
  ) {}

  async notify(notification: Notification): Promise<void> {
    await this.store.append(notification);
    for (const channel of this.channels) await channel(notification);
  }

  async notifyOnce(key: string, quietSeconds: number, notification: Notification): Promise<void> {
    if (await this.store.firstWithin(key, new Date(notification.at), quietSeconds)) await this.notify(notification);
  }
}

/** One line per notification, for a terminal (npm start). */
export const consoleLine = (notification: Notification) =>
  `notification ${notification.kind}: ${notification.subject}${notification.workerKey ? ` (worker ${notification.workerKey})` : ''}`;
