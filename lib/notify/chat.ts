/**
 * Notifications and alarms in a chat: Slack or Microsoft Teams through an incoming-webhook URL
 * (functions/notifier.ts, subscribed to the team's SNS topic; docs/design.md, "Notifications").
 */

/** What a chat shows of one SNS message: a title, its text, and a few facts. */
export interface ChatNote {
  title: string;
  text: string;
  facts: Array<[string, string]>;
}

/** The parts of an SNS record the note is made from (an SNS event's `Sns`). */
export interface SnsMessage {
  Subject?: string | null;
  Message: string;
  MessageAttributes?: Record<string, { Value: string }>;
}

/**
 * A product notification (lib/notify/sns.ts: the text, its kind and worker as attributes), or a
 * CloudWatch alarm (its JSON: AlarmName, NewStateValue, NewStateReason, AlarmDescription).
 */
export function noteFromSns(message: SnsMessage): ChatNote {
  const alarm = parseAlarm(message.Message);
  if (alarm) {
    return {
      title: `${alarm.NewStateValue}: ${alarm.AlarmName}`,
      text: [alarm.AlarmDescription, alarm.NewStateReason].filter(Boolean).join('\n'),
      facts: [['kind', 'alarm'], ...(alarm.Region ? ([['region', alarm.Region]] as Array<[string, string]>) : [])],
    };
  }
  const attributes = message.MessageAttributes ?? {};
  const [first = '', ...rest] = message.Message.split('\n');
  return {
    title: message.Subject || first,
    text: (message.Subject ? message.Message : rest.join('\n')).trim(),
    facts: (['kind', 'workerKey', 'deliveryId'] as const).filter((name) => attributes[name]).map((name) => [name === 'workerKey' ? 'worker' : name === 'deliveryId' ? 'delivery' : name, attributes[name]!.Value]),
  };
}

interface Alarm {
  AlarmName: string;
  NewStateValue: string;
  NewStateReason?: string;
  AlarmDescription?: string | null;
  Region?: string;
}

function parseAlarm(text: string): Alarm | null {
  try {
    const value = JSON.parse(text) as Partial<Alarm>;
    return typeof value.AlarmName === 'string' && typeof value.NewStateValue === 'string' ? (value as Alarm) : null;
  } catch {
    return null;
  }
}

/** Slack's mrkdwn treats &, < and > as control characters ("Formatting text for app surfaces": escaping text). */
const slackEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A Slack incoming-webhook message ("Sending messages using incoming webhooks"): `text` is what
 * notifications and screen readers show, the blocks what the channel shows (a header of at most
 * 150 characters, a section of at most 3,000).
 */
export function slackPayload(note: ChatNote) {
  return {
    text: slackEscape(note.title),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: note.title.slice(0, 150) } },
      ...(note.text ? [{ type: 'section', text: { type: 'mrkdwn', text: slackEscape(note.text).slice(0, 3000) } }] : []),
      ...(note.facts.length ? [{ type: 'context', elements: note.facts.map(([name, value]) => ({ type: 'mrkdwn', text: `*${name}:* ${slackEscape(value)}` })) }] : []),
    ],
  };
}

/**
 * A Microsoft Teams message with an Adaptive Card, as a Workflows incoming webhook (and the older
 * Office 365 connector) takes it ("Create incoming webhooks with Workflows for Microsoft Teams";
 * "Send Adaptive Cards using an Incoming Webhook").
 */
export function teamsPayload(note: ChatNote) {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: note.title, weight: 'Bolder', size: 'Medium', wrap: true },
            ...(note.text ? [{ type: 'TextBlock', text: note.text, wrap: true }] : []),
            ...(note.facts.length ? [{ type: 'FactSet', facts: note.facts.map(([title, value]) => ({ title, value })) }] : []),
          ],
        },
      },
    ],
  };
}

export type ChatKind = 'slack' | 'teams';

export const chatPayload = (kind: ChatKind, note: ChatNote) => (kind === 'slack' ? slackPayload(note) : teamsPayload(note));

/** Posts to an incoming webhook; anything but a 2xx throws, so SNS retries the delivery. The URL is a secret: never in the error. */
export async function postChat(kind: ChatKind, url: string, note: ChatNote): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chatPayload(kind, note)), signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`the ${kind} incoming webhook answered ${response.status}`);
}
