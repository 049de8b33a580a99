import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';

/** The Lambda entry points under functions/, one bundle each. */
export const handlerNames = ['ingest', 'worker', 'sweeper', 'reconciler', 'rules-deployer', 'roster-sync'] as const;

/**
 * Bundles functions/<name>.ts into `outdir` with the options the stack gives esbuild
 * (cdk/lifecycle-function.ts: Node 22 ESM, minified, source maps, the AWS SDK left to the runtime),
 * so that what `npm run bench` and scripts/bundle-report.ts measure is what a Lambda loads.
 */
export async function buildHandler(name: string, outdir: string): Promise<{ file: string; bytes: number; metafile: Metafile }> {
  const file = path.resolve(outdir, `${name}.mjs`);
  const { metafile } = await build({
    entryPoints: [`functions/${name}.ts`],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    outfile: file,
    external: ['@aws-sdk/*'],
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'silent',
  });
  return { file, bytes: metafile.outputs[path.relative(process.cwd(), file)]!.bytes, metafile };
}

/** How long `await import(file)` takes in a fresh Node process, `runs` times, in milliseconds (sorted). */
export function coldImportMs(file: string, runs: number): number[] {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', `const t=performance.now();await import(${JSON.stringify(file)});console.log(performance.now()-t)`], {
      encoding: 'utf8',
      env: { ...process.env, AWS_REGION: 'us-east-1' },
    });
    if (result.status !== 0) throw new Error(`importing ${file} failed: ${result.stderr}`);
    times.push(Number(result.stdout.trim()));
  }
  return times.sort((a, b) => a - b);
}
