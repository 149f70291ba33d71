#!/usr/bin/env node
// The `justanalytics` command. Sources are TypeScript run by Node's type stripping.
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
