import { config } from 'zod/mini';
import { en } from 'zod/locales';

/**
 * zod as every schema of ours imports it (`import * as z from '…/vocabulary/zod.js'`): zod/mini,
 * whose functions a bundler keeps only when used (classic zod's methods keep every schema type in
 * every Lambda bundle), with the English messages classic zod gives. zod/mini leaves messages to the
 * application, and the config's errors and the webhooks' 400s show them.
 */
config(en());

export * from 'zod/mini';
