// Bundles the published CLI with esbuild: one tree-shaken, minified module graph that
// Node loads much faster than thousands of node_modules files. Dynamic imports stay
// split (AWS clients and the ssh command load only when used), and the sandbox stays
// outside the bundle (dist/src/sandbox, built by tsc) because it ships files beside
// its modules (the AuthorizedKeysCommand program).
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names are content hashes: without a clean start, every build would leave the
// previous build's chunks behind (and ship them).
rmSync('dist/cli', { recursive: true, force: true });

await build({
  entryPoints: { 'eic-ssh': 'bin/eic-ssh.ts', 'eic-scp': 'bin/eic-scp.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // Prefer packages' ES-module builds: the AWS SDK's are tree-shakable, and the EC2
  // client then loads in about a third of the time of its CommonJS build.
  mainFields: ['module', 'main'],
  target: 'node20',
  minify: true,
  sourcemap: false,
  legalComments: 'linked',
  // ssh2's optional native addons are loaded with require() inside try/catch.
  external: ['cpu-features', './crypto/build/Release/sshcrypto.node', '../src/sandbox/*'],
  // CommonJS dependencies (ssh2, the SDK) expect require, __filename and __dirname.
  banner: {
    js: [
      "import { createRequire as __eicCreateRequire } from 'node:module';",
      "import { fileURLToPath as __eicFileURLToPath } from 'node:url';",
      "import { dirname as __eicDirname } from 'node:path';",
      'const require = __eicCreateRequire(import.meta.url);',
      'const __filename = __eicFileURLToPath(import.meta.url);',
      'const __dirname = __eicDirname(__filename);',
    ].join(' '),
  },
  plugins: [
    {
      // The sandbox is imported as ../sandbox/sandbox.js from src/cli/sandbox.ts; from the
      // bundle in dist/cli/ it lives at ../src/sandbox/sandbox.js.
      name: 'sandbox-outside-bundle',
      setup(b) {
        b.onResolve({ filter: /\/sandbox\/sandbox\.js$/ }, () => ({ path: '../src/sandbox/sandbox.js', external: true }));
      },
    },
  ],
  logLevel: 'warning',
});
