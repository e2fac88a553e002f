#!/usr/bin/env node
// Node 22 runs the TypeScript source directly (type stripping).
import { main } from '../src/main.ts';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  stdin: process.stdin,
});
