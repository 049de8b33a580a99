#!/usr/bin/env node
// `npx lifecycle …`: the admin CLI. Runs the TypeScript sources through tsx, like `npm start`.
import { register } from 'tsx/esm/api';

register();
await import('../lib/cli/main.ts');
