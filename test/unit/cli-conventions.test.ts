import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { targetConfigFile } from '../../lib/cli/context.js';
import { lifecycleProgram } from '../../lib/cli/program.js';
import { LIFECYCLE_BIN, runLifecycle } from '../support/cli.js';

/** `npx lifecycle` follows the conventions scripts and people rely on (README, "Admin CLI"); none of this needs a server. */

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const stackTrace = /^\s+at /m;
// No table or queue is named: a command that needs one fails as it would on a machine without npm start or --stack.
const withoutTarget = ['--aws'];

const leaves = (command: Command): Command[] => (command.commands.length ? command.commands.flatMap(leaves) : [command]);
const program = lifecycleProgram({ version, user: 'test', workingDirectory: process.cwd(), terminal: { stdoutColour: false, stderrColour: false }, invoke: async () => undefined });

describe('help', () => {
  it('exists for every command and subcommand, and each says its exit codes', () => {
    const commands = leaves(program).filter((command) => command.name() !== 'help');
    expect(commands.map((command) => `${command.parent!.name()} ${command.name()}`)).toEqual(expect.arrayContaining(['lifecycle reconcile', 'rules validate', 'guard reject', 'dlq redrive', 'evidence export']));
    for (const command of commands) {
      const help = captureHelp(command);
      expect(command.description(), command.name()).not.toBe('');
      expect(help).toContain('--json');
      expect(help).toContain('--stack <name>');
      expect(help, command.name()).toMatch(/Exit codes:\n {2}0 {2}.+\n {2}1 {2}.+\n {2}2 {2}/);
    }
  });

  it('answers --help and --version with exit 0', async () => {
    const [help, subcommandHelp, versionRun] = await Promise.all([runLifecycle(['--help']), runLifecycle(['guard', 'approve', '--help']), runLifecycle(['--version'])]);
    expect(help).toMatchObject({ status: 0, stderr: '' });
    expect(help.stdout).toContain('Usage: lifecycle [options] [command]');
    expect(subcommandHelp.stdout).toMatch(/--by <name> +who decides/);
    expect(versionRun).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });
});

/** What commander prints with --help, including the text added after it (helpInformation() leaves that out). */
function captureHelp(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

describe('exit codes and errors', () => {
  it('exits 2 on a command line that cannot work, saying why on stderr, without a stack trace', async () => {
    const lines = [['nope'], ['reconcile', '[--apply]'], ['rules', 'validate|diff|explain'], ['status'], ['rules'], ['plan'], ['guard', 'status', '--stack', 'x', '--aws']];
    const runs = await Promise.all(lines.map((line) => runLifecycle(line)));
    for (const [index, run] of runs.entries()) {
      expect(run.status, lines[index]!.join(' ')).toBe(2);
      expect(run.stdout, lines[index]!.join(' ')).toBe('');
      expect(run.stderr).not.toMatch(stackTrace);
    }
    expect(runs[0]!.stderr).toBe("lifecycle: unknown command 'nope'\nnpx lifecycle --help lists the commands; npx lifecycle <command> --help, their options.\n");
    expect(runs[1]!.stderr).toContain("too many arguments for 'reconcile'");
    expect(runs[4]!.stderr).toContain('Usage: lifecycle rules [options] [command]');
    expect(runs[5]!.stderr).toContain("required option '--event <file>' not specified");
    expect(runs[6]!.stderr).toContain("option '--stack <name>' cannot be used with option '--aws'");
  });

  it('tells an expected failure in one line and what to do, exit 1, no stack trace', async () => {
    const run = await runLifecycle(['status', 'E-1', ...withoutTarget]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^lifecycle: [A-Z_]+_TABLE is not set: .+\nStart the local runtime \(npm start\), or name the deployed stack: --stack HrBitwardenLifecycle-<stage>/);
    expect(run.stderr).not.toMatch(stackTrace);
  });

  it('with --json, prints every outcome as one JSON document on stdout, errors included', async () => {
    const [usage, failure, missingGroupCommand] = await Promise.all([
      runLifecycle(['nope', '--json']),
      runLifecycle(['status', 'E-1', '--json', ...withoutTarget]),
      runLifecycle(['rules', '--json']),
    ]);
    expect(usage).toMatchObject({ status: 2, stderr: '' });
    expect(JSON.parse(usage.stdout)).toEqual({ error: "unknown command 'nope'", hint: expect.stringContaining('--help') });
    expect(failure).toMatchObject({ status: 1, stderr: '' });
    expect(JSON.parse(failure.stdout)).toEqual({ error: expect.stringMatching(/^[A-Z_]+_TABLE is not set/), hint: expect.stringContaining('--stack') });
    expect(missingGroupCommand.status).toBe(2);
    expect(JSON.parse(missingGroupCommand.stdout)).toMatchObject({ error: 'a command is missing' });
  });
});

describe('where it runs', () => {
  it('works from any folder of the repository: defaults are the repository’s, paths given are the caller’s', async () => {
    const [fromDocs, fromCdk] = await Promise.all([
      runLifecycle(['rules', 'validate', '--json', ...withoutTarget], { cwd: 'docs', env: { LIFECYCLE_CONFIG: undefined } }),
      runLifecycle(['rules', 'validate', '--config', 'config/lifecycle.prod.yaml', '--json', ...withoutTarget], { cwd: 'cdk' }),
    ]);
    expect(JSON.parse(fromDocs.stdout)).toMatchObject({ valid: true, file: 'cdk/config/lifecycle.yaml', origin: 'the default' });
    expect(JSON.parse(fromCdk.stdout)).toMatchObject({ valid: true, file: path.resolve('cdk/config/lifecycle.prod.yaml'), origin: '--config' });
  });

  it('rules validate says which file it checked, and every problem with its line', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cli-config-')), 'lifecycle.yaml');
    writeFileSync(file, 'rules:\n  - id: everyone\n    groups: [All Staff]\n    departmant: Sales\n');
    const run = await runLifecycle(['rules', 'validate', '--config', file, ...withoutTarget]);
    expect(run).toMatchObject({ status: 1, stderr: '' });
    expect(run.stdout).toBe(`Checked ${file} (--config).\nInvalid lifecycle config ${file}:\n  - line 2, rules[0]: unknown field(s) "departmant"\n`);
  });

  it('takes the config file of its target when --config does not name one', () => {
    const variables = { LIFECYCLE_CONFIG: 'my.yaml' };
    expect(targetConfigFile({ kind: 'local' }, '/tmp/running.yaml', variables)).toEqual({ path: '/tmp/running.yaml', origin: 'the file npm start loaded' });
    expect(targetConfigFile({ kind: 'stack', name: 'HrBitwardenLifecycle-prod', configFile: 'cdk/config/lifecycle.prod.yaml' }, 'cdk/config/lifecycle.yaml', {})).toEqual({
      path: 'cdk/config/lifecycle.prod.yaml',
      origin: 'the file stack HrBitwardenLifecycle-prod was deployed from',
    });
    expect(() => targetConfigFile({ kind: 'stack', name: 'HrBitwardenLifecycle-old', configFile: null }, 'cdk/config/lifecycle.yaml', {})).toThrow(/stack HrBitwardenLifecycle-old does not say which config file/);
    expect(targetConfigFile({ kind: 'environment' }, 'my.yaml', variables)).toEqual({ path: 'my.yaml', origin: 'LIFECYCLE_CONFIG' });
    expect(targetConfigFile({ kind: 'environment' }, 'cdk/config/lifecycle.yaml', {})).toEqual({ path: 'cdk/config/lifecycle.yaml', origin: 'the default' });
  });
});

describe('terminals and pipes', () => {
  // `script` gives the command a terminal, as a person's shell would.
  const onTerminal = (args: string, env: Record<string, string> = {}) =>
    execFileSync('script', ['-qec', `"${process.execPath}" "${LIFECYCLE_BIN}" ${args}`, '/dev/null'], { encoding: 'utf8', env: { ...process.env, ...env } });

  it('colours only a terminal, and never with NO_COLOR set', async () => {
    expect(onTerminal('--help')).toContain('\x1b[1mUsage:\x1b[0m');
    expect(onTerminal('nope || true')).toContain('\x1b[31mlifecycle:\x1b[0m');
    expect(onTerminal('--help', { NO_COLOR: '1' })).not.toContain('\x1b[');
    expect((await runLifecycle(['--help'])).stdout).not.toContain('\x1b[');
  });

  it('ends quietly when the reader of its output is gone (| head)', () => {
    // `true` reads nothing and exits: every write of the CLI meets a closed pipe.
    const run = spawnSync('bash', ['-c', 'set -o pipefail; "$0" "$1" --help | true', process.execPath, LIFECYCLE_BIN], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
