import { pendingConfirmations } from '../lifecycle/pending-confirmation.js';
import { upcomingChanges } from '../lifecycle/upcoming.js';
import { documentClient } from '../runtime/aws.js';
import { bitwardenClient } from '../runtime/dependencies.js';
import { tableName } from '../runtime/env.js';
import { Tables } from '../store/tables.js';
import { WorkerStateStore } from '../store/worker-state.js';
import type { CliContext } from './context.js';
import { instantIn } from './display.js';
import { ExitCode } from './errors.js';

/** Work the calendar or people still owe: `upcoming` and `pending-confirmation`. */

const workerStates = (context: CliContext) => new WorkerStateStore(documentClient(), tableName(context.env, Tables.workers)).all();

/** `upcoming [--days N]`: start dates, end dates and terminations that take effect in the next N days, from the Workers table. */
export async function upcomingCommand(context: CliContext, days: number): Promise<number> {
  const { out, config } = context;
  const policy = config().policy;
  const now = new Date();
  const changes = upcomingChanges(await workerStates(context), policy, now, days);
  const at = instantIn(policy.timeZone);
  out.print(
    changes.length
      ? `${out.table(['takes effect', 'worker', 'e-mail', 'what', 'date', 'effect', 'next re-evaluation'], changes.map((change) => [at(change.effectiveAt), change.workerKey, change.email, change.kind, change.date, change.effect, at(change.reevaluateAt)]))}\n\nTimes in ${policy.timeZone} (policy.timeZone).`
      : `Nothing takes effect in the next ${days} day(s) (${policy.timeZone}).`,
    { timeZone: policy.timeZone, from: now.toISOString(), days, changes },
  );
  return ExitCode.ok;
}

/** `pending-confirmation`: members who accepted and wait for an admin to confirm them, which the Public API cannot do. */
export async function pendingConfirmationCommand(context: CliContext): Promise<number> {
  const { out, env, config } = context;
  const [members, states] = await Promise.all([bitwardenClient(env, config()).listMembers(), workerStates(context)]);
  const pending = pendingConfirmations(members, states);
  const at = instantIn(config().policy.timeZone);
  const how =
    'Confirm them in the Admin Console (Members › Needs confirmation), or with the Bitwarden CLI: bw confirm org-member <member> --organizationid <organization>.\n' +
    'This product cannot: confirming sends the organization key encrypted for each user, which the Public API does not do.';
  out.print(
    pending.length
      ? `${out.table(['member', 'e-mail', 'worker', 'name', 'invited'], pending.map((item) => [item.memberId, item.email, item.workerKey, item.workerName, at(item.invitedAt)]))}\n\n${pending.length} member(s) accepted and wait for confirmation. ${how}`
      : 'No member waits for confirmation.',
    { pending, howToConfirm: how },
  );
  return pending.length ? ExitCode.attention : ExitCode.ok;
}
