#!/usr/bin/env node
/**
 * @module
 * The `eventide` command (`npx eventide --help`): look at and act on a
 * namespace from outside the service that runs its functions. Every command
 * is in commands.ts; this file only hands it the process.
 */
import { main } from './main.js';

const code = await main(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env });
// A client library's reconnect timer must not keep a finished command alive; output to a pipe or file is already written.
process.exit(code);
