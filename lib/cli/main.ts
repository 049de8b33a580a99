import '../local/local-defaults.js';
import { parseArgs } from 'node:util';
import { guardApprove, guardStatus } from './guard.js';
import { output } from './output.js';
import { rulesDiff, rulesExplain, rulesValidate } from './rules.js';
import { selectTarget } from './target.js';

const HELP = `Usage: npx lifecycle <command> [options]

Commands:
  rules validate [--config FILE]   Check the config file with the schema cdk synth uses
  rules diff [--config FILE]       The file against the deployed rules, and the workers a deploy would re-evaluate
  rules explain WORKER             Which rules match a worker, its groups, and what would change now
  guard status                     Revocations in the guard's window, its limit, and the revocations it holds
  guard approve [--by NAME]        Approve every held revocation; the workers are revoked now

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
    options: { aws: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean' }, by: { type: 'string' }, config: { type: 'string' } },
  });
  const [command, sub, argument] = positionals;
  if (values.help || !command) {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 2;
  }
  const out = output(values.json ?? false);
  if (command === 'rules' && sub === 'validate') return rulesValidate(out, values.config);

  selectTarget(values.aws ?? false);
  switch (`${command} ${sub}`) {
    case 'rules diff':
      return rulesDiff(out, values.config);
    case 'rules explain':
      if (!argument) throw new Error('rules explain needs a worker key: npx lifecycle rules explain E-1234');
      return rulesExplain(out, argument);
    case 'guard status':
      return guardStatus(out);
    case 'guard approve':
      return guardApprove(out, values.by ?? process.env.USER ?? 'unknown');
    default:
      process.stderr.write(`Unknown command "${positionals.join(' ')}".\n\n${HELP}`);
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const message = (error as Error).message;
  process.stderr.write(`lifecycle: ${message}\n`);
  if (/is not set/.test(message)) process.stderr.write('Start the local runtime (npm start), or set the deployed stack\'s table names and queue URLs (see the README, "Admin CLI").\n');
  process.exitCode = 1;
}
