import { approveHeldRevocations } from '../lifecycle/approve.js';
import type { RevocationGuard } from '../lifecycle/guard.js';
import { bitwardenClient, eventPublisher, loadConfig, revocationGuard } from '../runtime/dependencies.js';
import { table, type Output } from './output.js';

function guard(): RevocationGuard {
  const config = loadConfig();
  return revocationGuard(config, bitwardenClient(config));
}

export async function guardStatus(out: Output): Promise<number> {
  const status = await guard().status(new Date());
  const held = table(['worker', 'held at', 'approved', 'reason'], status.held.map((item) => [item.workerKey, item.heldAt, item.approved ? 'yes' : 'no', item.reason]));
  out.print(
    `Revocations in the last ${status.windowMinutes} min: ${status.revocationsInWindow} of ${status.limit}\n` +
      `Held: ${status.held.length}${status.held.length ? `\n${held}` : ''}\n` +
      `Last approval: ${status.lastApproval ? `${status.lastApproval.at} by ${status.lastApproval.by} (${status.lastApproval.released} released)` : 'none'}`,
    status,
  );
  return 0;
}

export async function guardApprove(out: Output, by: string): Promise<number> {
  const approved = await approveHeldRevocations(guard(), eventPublisher(), by, new Date());
  out.print(approved.length === 0 ? 'Nothing is held.' : `Approved ${approved.length} held revocation(s); they are being revoked now:\n${approved.map((key) => `  ${key}`).join('\n')}`, { approved, by });
  return 0;
}
