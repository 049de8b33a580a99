import { readdirSync } from 'node:fs';
import path from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';

/**
 * How every Lambda handler is bundled. One definition, used by the stack (cdk/lifecycle-function.ts,
 * through scripts/bundle-handler.ts) and measured by bench/run.ts and scripts/bundle-report.ts, so
 * what they report is what a Lambda loads.
 *
 * - Node 22 ESM, minified, with source maps; `index.mjs` exports `handler`.
 * - The AWS SDK is left to the Lambda runtime and loaded through `require`, its CommonJS build: an ES
 *   `import` of it makes Node scan every SDK file for its export names first (cjs-module-lexer), which
 *   measured ~170 ms for DynamoDB + SQS against ~105 ms through `require` (docs/design.md, decision 18).
 * - Code only some paths need (the LDAP client, the SNS, S3 and Secrets Manager clients) is reached by a
 *   dynamic `import()`, and split into chunks that load when that path first runs, not at cold start.
 */

const root = path.resolve(import.meta.dirname, '..');

/** Every handler under functions/, by name (`worker` for functions/worker.ts). */
export const handlerNames: readonly string[] = readdirSync(path.join(root, 'functions'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  .sort();

/** `import … from '@aws-sdk/x'` becomes `require('@aws-sdk/x')` at run time (see above). */
const awsSdkThroughRequire: Plugin = {
  name: 'aws-sdk-through-require',
  setup(builder) {
    builder.onResolve({ filter: /^@aws-sdk\// }, (args) =>
      args.namespace === 'aws-sdk-require' ? { path: args.path, external: true } : { path: args.path, namespace: 'aws-sdk-require' },
    );
    builder.onLoad({ filter: /.*/, namespace: 'aws-sdk-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

export interface HandlerBundle {
  /** The entry file a cold start loads. */
  entry: string;
  /** What a cold start loads, as the metafile names them: the entry file and the chunks it imports (code it shares with a chunk on demand). */
  coldStartFiles: string[];
  /** Their size in bytes. */
  coldStartBytes: number;
  /** Bytes of the chunks loaded later, only by the paths that need them. */
  lazyBytes: number;
  metafile: Metafile;
}

/** Bundles functions/<name>.ts into `outdir` as `index.mjs` and its lazily loaded chunks. */
export async function bundleHandler(name: string, outdir: string): Promise<HandlerBundle> {
  const { metafile } = await build({
    absWorkingDir: root,
    entryPoints: { index: path.join('functions', `${name}.ts`) },
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    splitting: true,
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    minify: true,
    sourcemap: true,
    mainFields: ['module', 'main'],
    plugins: [awsSdkThroughRequire],
    // The SDK's require() above, and dependencies that still call require(), need one in an ES module.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.mjs'));
  // Not just any output with an entry point: esbuild gives each chunk loaded by `import()` one too.
  const entryOutput = outputs.find(([, output]) => output.entryPoint === path.join('functions', `${name}.ts`))![0];
  // esbuild moves code the entry shares with a chunk on demand into a chunk of its own, which the entry imports.
  const atColdStart = loadedWith(metafile, entryOutput);
  const bytesOf = (files: Array<[string, { bytes: number }]>) => files.reduce((sum, [, output]) => sum + output.bytes, 0);
  return {
    entry: path.resolve(root, entryOutput),
    coldStartFiles: [...atColdStart],
    coldStartBytes: bytesOf(outputs.filter(([file]) => atColdStart.has(file))),
    lazyBytes: bytesOf(outputs.filter(([file]) => !atColdStart.has(file))),
    metafile,
  };
}

/** What loading `file` (as the metafile names it) loads: the file and what it imports statically, transitively. */
export function loadedWith(metafile: Metafile, file: string): Set<string> {
  const loaded = new Set<string>();
  const visit = (output: string) => {
    if (loaded.has(output)) return;
    loaded.add(output);
    for (const imported of metafile.outputs[output]!.imports) if (imported.kind === 'import-statement' && metafile.outputs[imported.path]) visit(imported.path);
  };
  visit(file);
  return loaded;
}
