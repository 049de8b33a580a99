import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleProgram } from '../../lib/cli/program.js';
import { runLifecycle } from '../support/cli.js';
import { genericDelivery, worker } from '../support/generic-events.js';
import { startTestRuntime, TEST_SECRET, type TestRuntime } from '../support/local-runtime.js';

/**
 * Every `npx lifecycle …` line the README and the deploy guide show works when pasted: each parses
 * as a known command with valid options, and each the README has its reader type runs against the
 * local runtime (the deploy guide's need a deployed stack).
 */

/**
 * The `npx lifecycle …` lines of a Markdown file: `typed`, those a reader types (in `sh` code blocks,
 * comments cut, and in inline code), and `shown`, those in other blocks (a command's sample output).
 */
function commandLines(file: string): { typed: string[]; shown: string[] } {
  const markdown = readFileSync(file, 'utf8');
  const fence = /^ *```(\w*)\n([\s\S]*?)^ *```/gm;
  const linesOf = (language: (tag: string) => boolean) =>
    [...markdown.matchAll(fence)].filter((block) => language(block[1]!)).flatMap((block) => block[2]!.split('\n').map((line) => line.replace(/\s+#.*$/, '').trim()));
  const inline = [...markdown.replace(fence, '').matchAll(/`(npx lifecycle [^`]*)`/g)].map((span) => span[1]!);
  const commands = (lines: string[]) => [...new Set(lines.filter((line) => line.startsWith('npx lifecycle ')))];
  return { typed: commands([...linesOf((tag) => tag === 'sh'), ...inline]), shown: commands(linesOf((tag) => tag !== 'sh')) };
}

/** The command a line runs and its arguments, as the CLI's own parser reads them; throws what the CLI would answer with exit 2. */
async function parse(line: string): Promise<{ command: string; args: string[] }> {
  expect(line, 'a line a shell runs as written: no placeholders, alternatives or quotes').not.toMatch(/[|<>[\]{}'"$;&…]/);
  const args = line.split(/\s+/).slice(2);
  let command = '';
  const program = lifecycleProgram({
    version: '0',
    user: 'test',
    workingDirectory: process.cwd(),
    terminal: { stdoutColour: false, stderrColour: false },
    invoke: async (parsed) => {
      command = [parsed.parent?.parent?.name(), parsed.parent?.name(), parsed.name()].filter((name) => name && name !== 'lifecycle').join(' ');
    },
  });
  await program.parseAsync(args, { from: 'user' });
  return { command, args };
}

const readme = commandLines('README.md');
const deployGuide = commandLines('docs/deploy.md').typed;

describe('the command lines of the README and the deploy guide', () => {
  it('are there to check', () => {
    expect(readme.typed).toEqual(expect.arrayContaining(['npx lifecycle sync --from hr-export.csv', 'npx lifecycle rules validate', 'npx lifecycle sync --from bamboohr --apply']));
    expect(readme.typed.length).toBeGreaterThan(15);
    expect(deployGuide.map((line) => line.split(' ').slice(2, 4).join(' '))).toEqual(expect.arrayContaining(['rules validate', 'sync --from', 'rules diff', 'guard status', 'audit E-10482']));
  });

  it.each([...readme.typed, ...readme.shown, ...deployGuide])('%s: a known command with valid options', async (line) => {
    const { command } = await parse(line).catch((error: unknown) => {
      throw error instanceof CommanderError ? new Error(`${line}: ${error.message}`) : error;
    });
    expect(command).not.toBe('');
  });

  it('reach a deployed stack only through --stack', () => {
    for (const line of deployGuide) expect(line).not.toContain('--aws');
    expect(deployGuide.filter((line) => !line.includes('--config')).every((line) => line.includes('--stack HrBitwardenLifecycle-prod'))).toBe(true);
  });
});

describe('the README’s command lines, against npm start', () => {
  let runtime: TestRuntime;
  const cwd = mkdtempSync(path.join(tmpdir(), 'readme-'));

  beforeAll(async () => {
    runtime = await startTestRuntime();
    // What the README's lines name: a hired worker E-10482, a delivery body, roster exports.
    const hire = genericDelivery('worker.hired', worker({ externalId: 'E-10482', department: 'Engineering', jobTitle: 'Engineer' }), { secret: TEST_SECRET });
    const processed = runtime.processed(hire.id);
    expect((await runtime.post('generic', hire)).status).toBe(202);
    await processed;
    copyFileSync('test/fixtures/hris/bamboohr/employee_with_fields.updated.role-change.json', path.join(cwd, 'body.json'));
    const roster = 'externalId,workEmail,status,department,jobTitle\nE-20001,dana@example.com,active,Finance,Accountant\n';
    writeFileSync(path.join(cwd, 'hr-export.csv'), roster);
    mkdirSync(path.join(cwd, 'path/to'), { recursive: true });
    writeFileSync(path.join(cwd, 'path/to/export.csv'), roster);
  });
  afterAll(() => runtime?.stop());

  it('each runs as written, in the order the README shows them, and succeeds', async () => {
    for (const line of readme.typed) {
      // --aws: the test runtime's tables and queues are in this process's environment (npm start's are in .local/runtime.json).
      const run = await runLifecycle([...line.split(/\s+/).slice(2), '--aws'], { cwd });
      expect({ line, status: run.status, stderr: run.stderr }).toEqual({ line, status: expect.toBeOneOf([0, 3]), stderr: '' });
      expect(run.stdout, line).not.toBe('');
    }
  }, 300_000);
});
