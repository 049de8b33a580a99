import '../runtime/machine-defaults.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError } from 'commander';
import type { GlobalOptions, Target } from './context.js';
import { ExitCode, failureOf } from './errors.js';
import { output, type Terminal } from './output.js';
import { lifecycleProgram } from './program.js';

/**
 * `npx lifecycle …` (bin/lifecycle.mjs): the process edge of the CLI. It reads the environment,
 * runs from the repository's root whatever folder it was started in (every default path is the
 * repository's), and turns every outcome into an exit code: 0 ok, 1 failure, 2 usage, 3 and up
 * a command's own (lib/cli/program.ts).
 */

/** The nearest folder above this file with a package.json: the repository, from lib/cli/main.ts as from the bundle in dist/. */
function repositoryRoot(): string {
  for (let folder = path.dirname(fileURLToPath(import.meta.url)); ; folder = path.dirname(folder)) {
    if (existsSync(path.join(folder, 'package.json'))) return folder;
    if (path.dirname(folder) === folder) throw new Error('lifecycle runs from a checkout of this repository: no package.json above it');
  }
}

/** Colour on a terminal only, and never with NO_COLOR set to anything (https://no-color.org). */
const colourOn = (stream: NodeJS.WriteStream) => Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

// A reader that stops early (`| head`) closes the pipe: end quietly, as other command-line tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? ExitCode.ok);
  });
}

const workingDirectory = process.cwd();
const root = repositoryRoot();
process.chdir(root);
const terminal: Terminal = { stdoutColour: colourOn(process.stdout), stderrColour: colourOn(process.stderr) };
// Known before parsing, so that a usage error is told as JSON too.
const out = output(process.argv.includes('--json'), terminal);
let target: Target | null = null;

const program = lifecycleProgram({
  version: (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version,
  user: process.env.USER ?? process.env.USERNAME ?? 'unknown',
  workingDirectory,
  terminal,
  async invoke(command, run) {
    const options = command.optsWithGlobals<GlobalOptions>();
    // The AWS SDK reads both from the environment, for every client it builds.
    if (options.region) process.env.AWS_REGION = options.region;
    if (options.profile) process.env.AWS_PROFILE = options.profile;
    const { cliContext } = await import('./context.js');
    const context = await cliContext(options, out, { variables: process.env, workingDirectory });
    target = context.target;
    process.exitCode = await run(context);
  },
});

/** Tells how a run failed, and returns its exit code. */
function tell(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return ExitCode.ok;
    // A command group without its command (`lifecycle rules`): commander has printed the group's help on stderr.
    if (error.code === 'commander.help') {
      if (out.json) out.error('a command is missing', 'npx lifecycle --help lists the commands.');
      return ExitCode.usage;
    }
    out.error(error.message.replace(/^error: /, ''), 'npx lifecycle --help lists the commands; npx lifecycle <command> --help, their options.');
    return ExitCode.usage;
  }
  const failure = failureOf(error, target);
  out.error(failure.message, failure.hint);
  if (failure.stack && !out.json) process.stderr.write(`${failure.stack}\nThis is a bug: please report it with the command line.\n`);
  return failure.exitCode;
}

try {
  await program.parseAsync(process.argv.slice(2), { from: 'user' });
} catch (error) {
  process.exitCode = tell(error);
}
