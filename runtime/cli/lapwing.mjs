#!/usr/bin/env node
// The `lapwing` command. Registers tsx so that the TypeScript sources (and users' .ts scripts
// given to `lapwing run`) load without a build step, then hands over to main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
