import '../runtime/machine-defaults.js';
import { parseArgs } from 'node:util';
import { guardApprove, guardReject, guardStatus } from './guard.js';
import { dlqList, dlqRedrive, evidenceExport, reconcileCommand } from './operations.js';
import { planEvent, workerAudit, workerStatus } from './workers.js';
import { output } from './output.js';
import { rulesDiff, rulesExplain, rulesValidate } from './rules.js';
import { syncCommand, SyncUsageError } from './sync.js';
import { MissingSettingError } from '../runtime/env.js';
import { selectTarget } from '../runtime/local-target.js';
import { cliContext } from './context.js';

const HELP = `Usage: npx lifecycle <command> [options]

Commands:
  status WORKER                    The worker's HR record, desired and actual Bitwarden state, next re-evaluation
  audit WORKER                     The worker's action history
  plan --event FILE [--provider P] What a delivery (a webhook body) would do right now, without doing it
  reconcile [--apply]              Drift between Bitwarden and HR, by kind; --apply corrects it through the worker
  sync --from SOURCE|FILE [--apply] [--csv FILE]
                                   A source's whole roster (or a CSV/JSON export): without --apply the plan for
                                   every worker, in counts and a CSV; with it, applied through the worker
  evidence export --out DIR        Snapshot for auditors: JSON, CSV, SHA-256 manifest, HTML summary
  dlq list | dlq redrive           What waits in the dead-letter queues; move it back to its lane
  rules validate [--config FILE]   Check the config file with the schema cdk synth uses
  rules diff [--config FILE]       The file against the deployed rules, and the workers a deploy would re-evaluate
  rules explain WORKER             Which rules match a worker, its groups, and what would change now
  guard status                     Revocations and group removals in the guard's window, its limit, and what it holds
  guard approve [--worker W] [--by NAME]   Approve the held changes (of one worker, or all); they are applied now
  guard reject [--worker W] [--by NAME]    Reject the held changes (of one worker, or all); the members keep their access

Options:
  --aws           Act on the deployed stack (table names and queue URLs from the environment; AWS profile and region
                  as the AWS SDK reads them) even when a local runtime (npm start) is running
  --config FILE   The config file (default: LIFECYCLE_CONFIG, else cdk/config/lifecycle.yaml)
  --json          Machine-readable output
  --help          This text
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      aws: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean' }, by: { type: 'string' }, config: { type: 'string' },
      event: { type: 'string' }, provider: { type: 'string' }, apply: { type: 'boolean' }, out: { type: 'string' }, worker: { type: 'string' }, from: { type: 'string' }, csv: { type: 'string' },
    },
  });
  const [command, sub, argument] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 2;
  }
  const out = output(values.json ?? false);
  const { env } = selectTarget(values.aws ?? false);
  const context = cliContext(out, env, values.config);
  if (command === 'rules' && sub === 'validate') return rulesValidate(out, context.configPath);

  const need = (value: string | undefined, what: string) => {
    if (!value) throw new UsageError(what);
    return value;
  };
  switch (command) {
    case 'status':
      return workerStatus(context, need(sub, 'status needs a worker key: npx lifecycle status E-1234'));
    case 'audit':
      return workerAudit(context, need(sub, 'audit needs a worker key: npx lifecycle audit E-1234'));
    case 'plan':
      return planEvent(context, need(values.event, 'plan needs --event FILE (a webhook body)'), values.provider ?? 'generic');
    case 'reconcile':
      return reconcileCommand(context, values.apply ?? false);
    case 'sync':
      return syncCommand(context, need(values.from, 'sync needs --from SOURCE or --from FILE: npx lifecycle sync --from bamboohr'), { apply: values.apply ?? false, csv: values.csv });
  }
  switch (`${command} ${sub}`) {
    case 'evidence export':
      return evidenceExport(context, need(values.out, 'evidence export needs --out DIR'));
    case 'dlq list':
      return dlqList(context);
    case 'dlq redrive':
      return dlqRedrive(context);
    case 'rules diff':
      return rulesDiff(context);
    case 'rules explain':
      return rulesExplain(context, need(argument, 'rules explain needs a worker key: npx lifecycle rules explain E-1234'));
    case 'guard status':
      return guardStatus(context);
    case 'guard approve':
      return guardApprove(context, values.by ?? process.env.USER ?? 'unknown', values.worker);
    case 'guard reject':
      return guardReject(context, values.by ?? process.env.USER ?? 'unknown', values.worker);
    default:
      process.stderr.write(`Unknown command "${positionals.join(' ')}".\n\n${HELP}`);
      return 2;
  }
}

/** A command line that cannot work; answered with what to type instead. */
class UsageError extends Error {}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || error instanceof SyncUsageError) {
    process.stderr.write(`lifecycle: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`lifecycle: ${(error as Error).message}\n`);
  if (error instanceof MissingSettingError) process.stderr.write('Start the local runtime (npm start), or set the deployed stack\'s table names and queue URLs (see the README, "Admin CLI").\n');
  process.exitCode = 1;
}
