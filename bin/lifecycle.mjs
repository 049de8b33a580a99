#!/usr/bin/env node
// `npx lifecycle …`: the admin CLI. Runs the bundle scripts/build-cli.mjs writes (dist/cli.mjs) when
// it is newer than every source it was built from, so a run compiles nothing; otherwise (no build
// yet, or sources edited since) the TypeScript sources through tsx, like `npm start`.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

function bundleIsCurrent() {
  try {
    const builtAt = statSync(new URL('dist/cli.mjs', root)).mtimeMs;
    const sources = JSON.parse(readFileSync(new URL('dist/cli-inputs.json', root), 'utf8'));
    return sources.every((source) => statSync(new URL(source, root)).mtimeMs <= builtAt);
  } catch {
    // No bundle, or a source it was built from is gone.
    return false;
  }
}

if (bundleIsCurrent()) {
  await import('../dist/cli.mjs');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../lib/cli/main.ts');
}
