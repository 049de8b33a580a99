import { approveHeldRevocations, rejectHeldRevocations } from '../lifecycle/approve.js';
import type { RevocationGuard } from '../lifecycle/guard.js';
import { bitwardenClient, eventPublisher, revocationGuard, syncDependencies } from '../runtime/dependencies.js';
import type { CliContext } from './context.js';
import { instantIn } from './display.js';
import { ExitCode } from './errors.js';

function guard({ env, config }: CliContext): RevocationGuard {
  return revocationGuard(env, config(), bitwardenClient(env, config()));
}

/** `guard status` exits 3 while changes are held: someone must decide. */
export async function guardStatus(context: CliContext): Promise<number> {
  const status = await guard(context).status(new Date());
  const at = instantIn(context.config().policy.timeZone);
  const held = context.out.table(['worker', 'held at', 'approved', 'reason'], status.held.map((item) => [item.workerKey, at(item.heldAt), item.approved ? 'yes' : 'no', item.reason]));
  context.out.print(
    `Revocations in the last ${status.windowMinutes} min: ${status.revocationsInWindow} of ${status.limit}\n` +
      `Held: ${status.held.length}${status.held.length ? `\n${held}` : ''}\n` +
      `Last approval: ${status.lastApproval ? `${at(status.lastApproval.at)} by ${status.lastApproval.by} (${status.lastApproval.released} released)` : 'none'}`,
    status,
  );
  return status.held.length ? ExitCode.attention : ExitCode.ok;
}

export async function guardApprove(context: CliContext, by: string, workerKey?: string): Promise<number> {
  const approved = await approveHeldRevocations(guard(context), eventPublisher(context.env), by, new Date(), workerKey);
  context.out.print(approved.length === 0 ? 'Nothing is held.' : `Approved ${approved.length} held change(s); they are being applied now:\n${approved.map((key) => `  ${key}`).join('\n')}`, { approved, by });
  return ExitCode.ok;
}

export async function guardReject(context: CliContext, by: string, workerKey?: string): Promise<number> {
  const rejected = await rejectHeldRevocations(guard(context), syncDependencies(context.env, context.config()).audit, by, new Date(), workerKey);
  context.out.print(rejected.length === 0 ? 'Nothing is held.' : `Rejected ${rejected.length} held change(s); those members keep their access:\n${rejected.map((key) => `  ${key}`).join('\n')}`, { rejected, by });
  return ExitCode.ok;
}
