// Builds `npx lifecycle` ahead of time (npm run build:cli, and npm's `prepare`, so `npm ci` runs it):
// lib/cli/main.ts bundled into dist/cli.mjs, one chunk per command module, so a run compiles no
// TypeScript and loads only what its command uses. bin/lifecycle.mjs runs the bundle while it is
// newer than every source listed in dist/cli-inputs.json, and the sources through tsx otherwise.
// Usage: node scripts/build-cli.mjs [OUTDIR] (default dist/).
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const outdir = path.resolve(process.argv[2] ?? path.join(root, 'dist'));
const chunks = 'cli-chunks';

// Chunk names carry a content hash: the previous build's would pile up.
rmSync(path.join(outdir, chunks), { recursive: true, force: true });
const { metafile } = await build({
  absWorkingDir: root,
  entryPoints: { cli: 'lib/cli/main.ts' },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: `${chunks}/[name]-[hash]`,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // CommonJS packages inside an ES module bundle still call require().
  banner: { js: "import { createRequire as __lifecycleCreateRequire } from 'node:module'; const require = __lifecycleCreateRequire(import.meta.url);" },
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
const sources = Object.keys(metafile.inputs).filter((input) => !input.split('/').includes('node_modules'));
writeFileSync(path.join(outdir, 'cli-inputs.json'), `${JSON.stringify(sources, null, 2)}\n`);
console.log(`lifecycle CLI built: ${path.relative(root, path.join(outdir, 'cli.mjs'))} from ${sources.length} source files`);
