import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CliContext } from './context.js';
import { bold, type Terminal } from './output.js';

/**
 * `npx lifecycle`: every command, its options, help and exit codes. A command's module is loaded
 * only when it runs, so `--help` and `--version` load nothing else.
 */

/** Runs a parsed command: main.ts builds its context and sets the exit code; the README test only records it. */
export type Invoke = (command: Command, run: (context: CliContext) => Promise<number>) => Promise<void>;

export interface ProgramSettings {
  version: string;
  /** Who an approval or rejection is by when `--by` is not given: the login name. */
  user: string;
  /** Where the command was started: path arguments are relative to it. */
  workingDirectory: string;
  terminal: Terminal;
  invoke: Invoke;
}

/** The exit codes of one command, for its help: 0, 1 and 2 as every command has them, then its own. */
function exitCodes(ok: string, own: Record<number, string> = {}): string {
  const codes: Record<number, string> = { 0: ok, 1: 'failed: the message says why', 2: 'usage error: the command line cannot work', ...own };
  return `\nExit codes:\n${Object.entries(codes).map(([code, meaning]) => `  ${code}  ${meaning}`).join('\n')}\n`;
}

const ROOT_HELP = `
Where it acts:
  With npm start running, on the local stack (found through .local/runtime.json); with --stack NAME,
  on that deployed stack, whose CloudFormation outputs name its tables and queues. --aws reads them
  from the environment instead (WORKERS_TABLE, URGENT_DLQ_URL, …, as the functions have them).
  Paths are relative to where you run it; everything else to the repository, from any folder of it.

Output:
  Text for people, or with --json one JSON document on stdout, errors too: {"error": "…", "hint": "…"}.
  Errors go to stderr otherwise. Colour only on a terminal, never with NO_COLOR set.
${exitCodes('done', { 3: 'the answer needs attention: drift (reconcile), a changed rule (rules diff), held changes (guard status), dead letters (dlq list), members to confirm (pending-confirmation)' })}
Examples:
  npx lifecycle rules validate
  npx lifecycle reconcile --stack HrBitwardenLifecycle-prod --region eu-central-1
  npx lifecycle audit E-10482 --json
`;

/** A whole number above zero, or a usage error naming the option. */
const positiveWhole = (option: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError(`${option} must be a whole number above 0`);
  return number;
};

export function lifecycleProgram(settings: ProgramSettings): Command {
  const { invoke } = settings;
  const fromHere = (value: string) => path.resolve(settings.workingDirectory, value);
  const program = new Command('lifecycle')
    .description('Admin CLI of the HR → Bitwarden lifecycle: what it did, what it would do, what drifted; approve, redrive, export.')
    .version(settings.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print help for the command')
    .addOption(new Option('--json', 'print one JSON document on stdout, errors included'))
    .addOption(new Option('--config <file>', 'the config file (default: the one npm start loaded or the stack was deployed from, else LIFECYCLE_CONFIG, else cdk/config/lifecycle.yaml)').argParser(fromHere))
    .addOption(new Option('--stack <name>', 'act on this deployed stack, e.g. HrBitwardenLifecycle-prod').conflicts('aws'))
    .addOption(new Option('--region <region>', "the stack's AWS region (default: AWS_REGION, else the profile's)"))
    .addOption(new Option('--profile <profile>', 'the AWS profile (default: AWS_PROFILE)'))
    .addOption(new Option('--aws', 'act on the tables and queues the environment names, even when npm start runs'))
    .addHelpText('after', ROOT_HELP)
    // Titles are bold wherever commander writes help, and stripped where that stream has no colour (getOutHasColors, getErrHasColors).
    .configureHelp({ showGlobalOptions: true, styleTitle: bold(true) })
    // main.ts tells errors itself (text or JSON); commander only parses.
    .configureOutput({ getOutHasColors: () => settings.terminal.stdoutColour, getErrHasColors: () => settings.terminal.stderrColour, outputError: () => undefined })
    .exitOverride();

  const workers = () => import('./workers.js');
  const operations = () => import('./operations.js');
  const rules = () => import('./rules.js');
  const guard = () => import('./guard.js');
  const sync = () => import('./sync.js');
  const pendingWork = () => import('./pending-work.js');
  const evidence = () => import('./evidence.js');

  program
    .command('status')
    .description("a worker's HR record, desired and actual Bitwarden state, and next re-evaluation")
    .argument('<worker>', 'the HR worker id (the member’s externalId)')
    .addHelpText('after', exitCodes('shown', { 1: 'no such worker, or a failure' }))
    .action((worker: string, _options, command: Command) => invoke(command, async (context) => (await workers()).workerStatus(context, worker)));

  program
    .command('audit')
    .description('every action applied, planned, held or skipped for a worker, oldest first; group names, times in the policy time zone')
    .argument('<worker>', 'the HR worker id')
    .addHelpText('after', exitCodes('shown (an empty trail too)'))
    .action((worker: string, _options, command: Command) => invoke(command, async (context) => (await workers()).workerAudit(context, worker)));

  program
    .command('plan')
    .description('what a delivery (a webhook body) would do right now, without doing it; its signature is not checked')
    .requiredOption('--event <file>', 'the webhook body', fromHere)
    .option('--provider <name>', 'the source that sent it', 'generic')
    .addHelpText('after', exitCodes('shown', { 2: 'usage error, or no such provider' }))
    .action((options: { event: string; provider: string }, command: Command) => invoke(command, async (context) => (await workers()).planEvent(context, options.event, options.provider)));

  program
    .command('reconcile')
    .description('drift between HR, what the product stored, and Bitwarden, by kind')
    .option('--apply', 'correct what the policy allows, through the worker')
    .addHelpText('after', exitCodes('no drift', { 3: 'drift found (with --apply: what can be corrected was sent to the worker)' }))
    .action((options: { apply?: boolean }, command: Command) => invoke(command, async (context) => (await operations()).reconcileCommand(context, options.apply ?? false)));

  program
    .command('sync')
    .description("a source's whole roster: without --apply the plan for every worker, in counts and a CSV; with it, applied through the worker")
    .requiredOption('--from <source-or-file>', 'a source that lists its roster (bamboohr, hibob, merge, finch), or a CSV or JSON export')
    .option('--apply', 'send the changes through the queue, and wait until the worker has applied them')
    .option('--csv <file>', 'where the plan rows go (default: lifecycle-sync-plan-<source>.csv here)', fromHere)
    .addHelpText('after', exitCodes('planned or applied', { 1: 'rows could not be read (they changed nothing), the roster could not be read, or a failure', 2: 'usage error, or --from names neither a source nor a file' }))
    .action((options: { from: string; apply?: boolean; csv?: string }, command: Command) =>
      invoke(command, async (context) => (await sync()).syncCommand(context, options.from, { apply: options.apply ?? false, csv: options.csv })),
    );

  const evidenceCommand = program.command('evidence').description("the auditors' export, signed, and its verification");
  evidenceCommand
    .command('export')
    .description('members, memberships, workers, the audit trail of the period, last actions and drift as JSON and CSV, a SHA-256 manifest signed by the evidence key, and summary.html')
    .requiredOption('--out <dir>', 'the folder to write (created if missing)', fromHere)
    .option('--from <date>', 'the period starts: YYYY-MM-DD (in policy.timeZone) or an RFC 3339 instant (default: policy.auditRetentionDays ago)')
    .option('--to <date>', 'the period ends: through YYYY-MM-DD (in policy.timeZone), or an RFC 3339 instant (default: now)')
    .addHelpText('after', exitCodes('written and signed', { 2: 'usage error, or a --from or --to that is not a date' }))
    .action((options: { out: string; from?: string; to?: string }, command: Command) => invoke(command, async (context) => (await evidence()).evidenceExport(context, options.out, { from: options.from, to: options.to })));
  evidenceCommand
    .command('verify')
    .description("recompute every file's SHA-256 against manifest.json, and check the manifest's signature with the evidence key (the stack's KMS key, the local key, or --public-key)")
    .argument('<dir>', 'the folder an export wrote', fromHere)
    .option('--public-key <file>', 'verify with this PEM public key (e.g. from `aws kms get-public-key`) instead of asking the key itself', fromHere)
    .addHelpText('after', exitCodes('every digest matches and the signature is valid', { 1: 'a file differs, is missing or is not in the manifest, or the signature does not verify: the message names each' }))
    .action((dir: string, options: { publicKey?: string }, command: Command) => invoke(command, async (context) => (await evidence()).evidenceVerify(context, dir, options.publicKey)));

  const days = (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 366) throw new InvalidArgumentError('must be a whole number of days from 1 to 366');
    return Number(value);
  };
  program
    .command('upcoming')
    .description('start dates, contractor end dates and future terminations that take effect in the next days, at their instants in policy.timeZone')
    .addOption(new Option('--days <n>', 'how many days ahead').default(30).argParser(days))
    .addHelpText('after', exitCodes('shown (nothing upcoming too)'))
    .action((options: { days: number }, command: Command) => invoke(command, async (context) => (await pendingWork()).upcomingCommand(context, options.days)));
  program
    .command('pending-confirmation')
    .description('members who accepted their invitation and wait for an admin to confirm them (the Public API cannot confirm: it is a key exchange)')
    .addHelpText('after', exitCodes('nobody waits', { 3: 'members wait for confirmation' }))
    .action((_options, command: Command) => invoke(command, async (context) => (await pendingWork()).pendingConfirmationCommand(context)));

  const dlq = program.command('dlq').description("the lanes' dead-letter queues");
  dlq
    .command('list')
    .description('what waits in each dead-letter queue, and why: the last failure the worker recorded for each delivery')
    .addHelpText('after', exitCodes('the queues are empty', { 3: 'dead letters wait' }))
    .action((_options, command: Command) => invoke(command, async (context) => (await operations()).dlqList(context)));
  dlq
    .command('redrive')
    .description('move dead letters (one delivery, one message, or all) back to their lane; each is decided again from the newest record, so this is safe')
    .addOption(new Option('--delivery <id>', 'only the dead letter(s) of this delivery id (as dlq list shows it)').conflicts('message'))
    .option('--message <id>', 'only the dead letter with this SQS message id')
    .addHelpText('after', exitCodes('moved (or nothing to move)', { 1: 'no dead letter has that delivery or message id, or a failure' }))
    .action((options: { delivery?: string; message?: string }, command: Command) => invoke(command, async (context) => (await operations()).dlqRedrive(context, options)));

  program
    .command('events')
    .description('the notifications sent to people, newest first: guard holds, dead letters, failed invites, drift, invitations not accepted')
    .addOption(new Option('--limit <n>', 'how many').default(50).argParser(positiveWhole('--limit')))
    .addHelpText('after', exitCodes('shown (none too)'))
    .action((options: { limit: number }, command: Command) => invoke(command, async (context) => (await import('./events.js')).eventsCommand(context, options.limit)));

  program
    .command('doctor')
    .description("checks that everything is in place: the config, Bitwarden's key, every rule's group, each source's secrets, the tables and queues, and a signed test delivery through the whole path (Bitwarden is not written to)")
    .addHelpText('after', exitCodes('every check passed', { 1: 'a check failed: each says what to do' }))
    .action((_options, command: Command) => invoke(command, async (context) => (await import('./doctor.js')).doctorCommand(context)));

  const rulesCommand = program.command('rules').description('the role → group rules of the config file');
  rulesCommand
    .command('validate')
    .description('check the config file with the schema cdk synth uses, and say which file was checked')
    .addHelpText('after', exitCodes('valid', { 1: 'invalid: every problem with its line' }))
    .action((_options, command: Command) => invoke(command, async (context) => (await rules()).rulesValidate(context)));
  rulesCommand
    .command('diff')
    .description('the file against the deployed rules, and the workers a deploy would re-evaluate')
    .addHelpText('after', exitCodes('the file matches the deployed rules', { 3: 'the rules differ' }))
    .action((_options, command: Command) => invoke(command, async (context) => (await rules()).rulesDiff(context)));
  rulesCommand
    .command('explain')
    .description('which rules match a worker, its groups, and what would change now')
    .argument('<worker>', 'the HR worker id')
    .addHelpText('after', exitCodes('shown', { 1: 'no such worker, or a failure' }))
    .action((worker: string, _options, command: Command) => invoke(command, async (context) => (await rules()).rulesExplain(context, worker)));

  const guardCommand = program.command('guard').description('the mass-change guard: revocations and group removals beyond its limit are held');
  guardCommand
    .command('status')
    .description("what the guard's window holds, its limit, and the held changes")
    .addHelpText('after', exitCodes('nothing is held', { 3: 'changes are held' }))
    .action((_options, command: Command) => invoke(command, async (context) => (await guard()).guardStatus(context)));
  for (const [name, handler, description] of [
    ['approve', 'guardApprove', 'the held changes (of one worker, or all) go ahead now'],
    ['reject', 'guardReject', 'the held changes (of one worker, or all) are dropped: the members keep their access'],
  ] as const) {
    guardCommand
      .command(name)
      .description(description)
      .option('--worker <worker>', 'only this worker’s')
      .option('--by <name>', 'who decides, for the audit trail', settings.user)
      .addHelpText('after', exitCodes('decided (or nothing was held)'))
      .action((options: { worker?: string; by: string }, command: Command) => invoke(command, async (context) => (await guard())[handler](context, options.by, options.worker)));
  }
  return program;
}
