/**
 * `npx tsx scripts/bundle-report.ts [handler…]`: each Lambda bundle built as the stack builds it
 * (cdk/handler-bundle.ts), with the bytes a cold start loads (the entry file and the chunks it imports) and those of its chunks loaded on demand, what
 * fills what a cold start loads (by package, then by file) and its cold import time (p50 of 5 fresh processes).
 * The bundles stay in bench/.build/report for a closer look.
 */
import path from 'node:path';
import type { Metafile } from 'esbuild';
import { coldImportMs } from '../bench/bundles.js';
import { bundleHandler, handlerNames } from '../cdk/handler-bundle.js';

const TOP = 12;
const outdir = path.resolve('bench/.build/report');
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** A node_modules package (`zod`, `@aws-lambda-powertools/logger`) or, for our own code, its folder (`lib/sources`). */
function owner(input: string): string {
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (inPackage) return inPackage[1]!;
  return input.split('/').slice(0, 2).join('/');
}

function largest(entries: Iterable<[string, number]>): [string, number][] {
  return [...entries].sort((a, b) => b[1] - a[1]).slice(0, TOP);
}

function inputsOf(metafile: Metafile, files: readonly string[]): [string, number][] {
  return files.flatMap((file) => Object.entries(metafile.outputs[file]!.inputs).map(([input, { bytesInOutput }]): [string, number] => [input, bytesInOutput]));
}

const requested = process.argv.slice(2);
const names = requested.length > 0 ? requested : handlerNames;
const rows: string[] = [];
for (const name of names) {
  const { entry, coldStartFiles, coldStartBytes: bytes, lazyBytes, metafile } = await bundleHandler(name, path.join(outdir, name));
  const times = Array.from({ length: 5 }, () => coldImportMs(entry)).sort((a, b) => a - b);
  const p50 = times[2]!;
  const inputs = inputsOf(metafile, coldStartFiles);
  const byOwner = new Map<string, number>();
  for (const [input, size] of inputs) byOwner.set(owner(input), (byOwner.get(owner(input)) ?? 0) + size);

  console.log(`\n${name}: ${kib(bytes)} (${bytes} bytes) at cold start, ${kib(lazyBytes)} in chunks on demand, cold import p50 ${p50.toFixed(0)} ms`);
  console.log('  by package or folder:');
  for (const [what, size] of largest(byOwner)) console.log(`    ${kib(size).padStart(10)}  ${what}`);
  console.log('  by file:');
  for (const [input, size] of largest(inputs)) console.log(`    ${kib(size).padStart(10)}  ${input}`);
  rows.push(`| ${name} | ${bytes} | ${kib(bytes)} | ${kib(lazyBytes)} | ${p50.toFixed(0)} ms |`);
}
console.log(`\n| handler | cold start bytes | cold start | chunks on demand | cold import p50 |\n|---|---|---|---|---|\n${rows.join('\n')}`);
