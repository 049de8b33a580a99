/**
 * `tsx scripts/bundle-handler.ts --handler worker --outdir DIR [--config lifecycle.json]`: bundles one
 * Lambda handler as cdk/handler-bundle.ts defines it, and puts the shipped config beside it. The stack's
 * asset bundling runs this (cdk/lifecycle-function.ts): CDK bundles synchronously, esbuild's plugins
 * need its asynchronous API, so the bundle is built in a process of its own.
 */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundleHandler, handlerNames } from '../cdk/handler-bundle.js';

const { values } = parseArgs({ options: { handler: { type: 'string' }, outdir: { type: 'string' }, config: { type: 'string' } }, strict: true });
if (!values.handler || !handlerNames.includes(values.handler)) throw new Error(`--handler must be one of ${handlerNames.join(', ')}`);
if (!values.outdir) throw new Error('--outdir is required');

const bundle = await bundleHandler(values.handler, values.outdir);
if (values.config) copyFileSync(values.config, path.join(values.outdir, 'lifecycle.json'));
console.log(`${values.handler}: ${bundle.coldStartBytes} bytes at cold start, ${bundle.lazyBytes} bytes in chunks loaded on demand`);
