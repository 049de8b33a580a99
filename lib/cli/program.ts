import path from 'node:path';
import { Command, Option } from 'commander';
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
${exitCodes('done', { 3: 'the answer needs attention: drift (reconcile), a changed rule (rules diff), held changes (guard status), dead letters (dlq list)' })}
Examples:
  npx lifecycle rules validate
  npx lifecycle reconcile --stack HrBitwardenLifecycle-prod --region eu-central-1
  npx lifecycle audit E-10482 --json
`;

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

  program
    .command('evidence')
    .description("the auditors' export")
    .command('export')
    .description('members, memberships, workers, last actions and drift as JSON and CSV, a SHA-256 manifest and summary.html')
    .requiredOption('--out <dir>', 'the folder to write (created if missing)', fromHere)
    .addHelpText('after', exitCodes('written'))
    .action((options: { out: string }, command: Command) => invoke(command, async (context) => (await operations()).evidenceExport(context, options.out)));

  const dlq = program.command('dlq').description("the lanes' dead-letter queues");
  dlq
    .command('list')
    .description('what waits in each dead-letter queue')
    .addHelpText('after', exitCodes('the queues are empty', { 3: 'dead letters wait' }))
    .action((_options, command: Command) => invoke(command, async (context) => (await operations()).dlqList(context)));
  dlq
    .command('redrive')
    .description('move every dead letter back to its lane; each is decided again from the newest record, so this is safe')
    .addHelpText('after', exitCodes('moved (or nothing to move)'))
    .action((_options, command: Command) => invoke(command, async (context) => (await operations()).dlqRedrive(context)));

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
