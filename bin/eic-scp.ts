#!/usr/bin/env node
// `eic-scp ARGS` is `eic-ssh cp ARGS`: the same adapter as bin/eic-ssh.ts, for users
// and scripts that call scp by its own name.
import { main } from '../src/main.js';
import { systemIo } from '../src/io.js';
import { systemDeps } from '../src/deps.js';

// The AWS SDK's once-per-process Node 20 notice would break scp-like stderr output
// (see bin/eic-ssh.ts).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const code = await main(['cp', ...process.argv.slice(2)], systemIo(), systemDeps(), 'eic-scp');
// Exit as soon as the copy is over (see bin/eic-ssh.ts).
process.exit(code);
