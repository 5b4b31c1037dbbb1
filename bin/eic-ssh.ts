#!/usr/bin/env node
// The thin adapter from the process to main(): argv, the real terminal, the real world.
import { main } from '../src/main.js';
import { systemIo } from '../src/io.js';
import { systemDeps } from '../src/deps.js';

const code = await main(process.argv.slice(2), systemIo(), systemDeps());
// Like ssh, exit as soon as the session is over, even if the user's stdin pipe is
// still open (a pending stdin read would otherwise keep Node alive). On Linux,
// writes to stdout and stderr are synchronous for files, pipes and terminals, so
// nothing written is lost.
process.exit(code);
