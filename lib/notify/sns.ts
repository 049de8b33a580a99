import type { SNSClient } from '@aws-sdk/client-sns';
import type { Channel, Notification } from './notifier.js';

/**
 * SNS allows a subject of printable ASCII without line breaks, under 100 characters (Amazon SNS API
 * Reference, Publish: Subject); e-mail subscribers read it as the mail's subject.
 */
export function snsSubject(subject: string): string {
  const ascii = subject.normalize('NFKD').replace(/[^\x20-\x7e]/g, '').replace(/\s+/g, ' ').trim();
  return (ascii.length > 99 ? `${ascii.slice(0, 96)}...` : ascii) || 'HR - Bitwarden lifecycle';
}

/** The message e-mail subscribers read; the chat notifier (functions/notifier.ts) reads the kind, worker and delivery from its attributes. */
export function snsChannel(sns: Pick<SNSClient, 'send'>, topicArn: string): Channel {
  return async (notification: Notification) => {
    // Loaded at the first notification, not at cold start: most invocations tell nobody anything.
    const { PublishCommand } = await import('@aws-sdk/client-sns');
    const about = [notification.workerKey && `Worker: ${notification.workerKey}`, notification.deliveryId && `Delivery: ${notification.deliveryId}`].filter(Boolean);
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: snsSubject(notification.subject),
        Message: [notification.subject, '', notification.message, ...(about.length ? ['', ...about] : []), '', `At: ${notification.at}`].join('\n'),
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: notification.kind },
          ...(notification.workerKey ? { workerKey: { DataType: 'String', StringValue: notification.workerKey } } : {}),
          ...(notification.deliveryId ? { deliveryId: { DataType: 'String', StringValue: notification.deliveryId } } : {}),
        },
      }),
    );
  };
}
