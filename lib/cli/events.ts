import { notificationStore } from '../runtime/dependencies.js';
import type { CliContext } from './context.js';
import { instantIn } from './display.js';
import { ExitCode } from './errors.js';

/** `events [--limit N]`: the notifications sent (held changes, dead letters, failed invites, drift, invitations not accepted), newest first. */
export async function eventsCommand({ out, env, config }: CliContext, limit: number): Promise<number> {
  const notifications = await notificationStore(env).recent(limit);
  const at = instantIn(config().policy.timeZone);
  out.print(
    notifications.length
      ? `${out.table(['at', 'kind', 'worker', 'what'], notifications.map((notification) => [at(notification.at), notification.kind, notification.workerKey, notification.subject]))}\n\nWhat each means and what to do: docs/runbook.md, "Notifications".`
      : 'Nothing has been notified.',
    notifications,
  );
  return ExitCode.ok;
}
