// Copies the non-TypeScript files that must sit beside the compiled modules
// (the sandbox's AuthorizedKeysCommand program runs under sshd as plain JavaScript).
import { cpSync, mkdirSync } from 'node:fs';
const assets = [['src/sandbox/instance/akc.mjs', 'dist/src/sandbox/instance/akc.mjs']];
for (const [from, to] of assets) {
  mkdirSync(to.slice(0, to.lastIndexOf('/')), { recursive: true });
  cpSync(from, to);
}
