import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** The code's structure as the README and .dependency-cruiser.cjs describe it, kept true by the test suite. */

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((entry) => {
    const file = path.join(dir, entry);
    return statSync(file).isDirectory() ? sourceFiles(file) : file.endsWith('.ts') ? [file] : [];
  });
const code = ['lib', 'functions', 'cdk', 'scripts', 'bench', 'test'].flatMap(sourceFiles);

describe('the layers of lib/', () => {
  it('hold: no folder imports one above it, no cycles, lib/local and the emulators stay out of production code', () => {
    const run = spawnSync(process.execPath, ['node_modules/dependency-cruiser/bin/dependency-cruise.mjs', '--config', '.dependency-cruiser.cjs', '--output-type', 'err', 'lib', 'functions', 'cdk'], { encoding: 'utf8' });
    expect(run.stdout + run.stderr).toMatch(/no dependency violations found/);
    expect(run.status).toBe(0);
  });

  it('are the folders the README draws, each on one line of its layout', () => {
    const readme = readFileSync('README.md', 'utf8');
    const layout = readme.slice(readme.indexOf('## Layout'));
    for (const folder of readdirSync('lib')) expect(layout, `README layout lists lib/${folder}`).toContain(`${folder}/`);
    for (const handler of readdirSync('functions')) expect(layout, `README layout lists functions/${handler}`).toContain(handler.replace(/\.ts$/, ''));
  });

  it('read the process environment only at the edges (lib/runtime, lib/local, the CLI entry point)', () => {
    const edges = /^(lib\/runtime|lib\/local|lib\/cli\/main\.ts|functions|cdk|scripts|bench|test)/;
    const readers = code.filter((file) => !edges.test(file) && readFileSync(file, 'utf8').includes('process.env'));
    expect(readers).toEqual([]);
  });
});

describe('references in comments', () => {
  it('lead to files in the repository', () => {
    const cited = code.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\b((?:docs|test|lib|cdk)\/[\w./-]+\.(?:md|ts|json|yaml))\b/g)].map((match) => ({ file, target: match[1]! })));
    expect(cited.length).toBeGreaterThan(10);
    expect(cited.filter(({ target }) => !existsSync(target))).toEqual([]);
  });

  it('cite no document that lives outside the repository', () => {
    const stray = code.filter((file) => !file.endsWith('structure.test.ts') && /(?<![\w/-])(hris\/webhooks\.md|public-api\.md|design decision \d)/.test(readFileSync(file, 'utf8')));
    expect(stray).toEqual([]);
  });
});
