import '../local/quiet-warnings.js';
import { parseArgs } from 'node:util';
import { approveHeldRevocations } from '../lifecycle/approve.js';
import { RevocationGuard } from '../lifecycle/guard.js';
import { documentClient } from '../runtime/aws.js';
import { bitwardenClient, eventPublisher, loadConfig } from '../runtime/dependencies.js';
import { tableName, Tables } from '../store/tables.js';
import { selectTarget } from './target.js';

const HELP = `Usage: npx lifecycle <command> [options]

Commands:
  guard status            Revocations in the guard's window, its limit, and the revocations it holds
  guard approve [--by X]  Approve every held revocation; the workers are revoked now

Options:
  --aws     Act on the deployed stack (table names and queue URLs from the environment, AWS profile and region
            as the AWS SDK reads them) even when a local runtime (npm start) is running
  --json    Machine-readable output
  --help    This text
`;

function guard(): RevocationGuard {
  const config = loadConfig();
  const bitwarden = bitwardenClient(config);
  const size = async () => (await bitwarden.listMembers()).filter((member) => member.status !== -1).length;
  return new RevocationGuard(documentClient(), tableName(Tables.guard), config.policy.massRevocationGuard, size);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { aws: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean' }, by: { type: 'string' } } });
  const [command, sub] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 2;
  }
  const target = selectTarget(values.aws ?? false);
  const print = (text: string, data: unknown) => process.stdout.write(values.json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`);

  if (command === 'guard' && sub === 'status') {
    const status = await guard().status(new Date());
    const held = status.held.map((item) => `  ${item.workerKey}  held ${item.heldAt}${item.approved ? '  (approved)' : ''}  ${item.reason}`).join('\n');
    print(
      `Target: ${target}\nRevocations in the last ${status.windowMinutes} min: ${status.revocationsInWindow} of ${status.limit}\n` +
        `Held: ${status.held.length}${held ? `\n${held}` : ''}\n` +
        `Last approval: ${status.lastApproval ? `${status.lastApproval.at} by ${status.lastApproval.by} (${status.lastApproval.released} released)` : 'none'}`,
      status,
    );
    return 0;
  }
  if (command === 'guard' && sub === 'approve') {
    const by = values.by ?? process.env.USER ?? 'unknown';
    const approved = await approveHeldRevocations(guard(), eventPublisher(), by, new Date());
    print(approved.length === 0 ? 'Nothing is held.' : `Approved ${approved.length} held revocation(s); they are being revoked now:\n${approved.map((key) => `  ${key}`).join('\n')}`, { approved, by });
    return 0;
  }
  process.stderr.write(`Unknown command "${positionals.join(' ')}".\n\n${HELP}`);
  return 2;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const message = (error as Error).message;
  process.stderr.write(`lifecycle: ${message}\n`);
  if (/is not set/.test(message)) process.stderr.write('Start the local runtime (npm start), or set the deployed stack\'s table names and queue URLs (see the README, "Admin CLI").\n');
  process.exitCode = 1;
}
