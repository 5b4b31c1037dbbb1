// Loopback addresses for sandbox instances. Every sandbox takes its own random
// 127.X.Y.0/24 block so that several sandboxes (parallel test files, a demo next to
// a test run) never collide, and instances inside it get distinct addresses: the
// same port (22 as root) can then serve every instance, as on EC2.
// Nothing here ever leaves 127.0.0.0/8.
import { createServer } from 'node:net';

export interface AddressBlock {
  prefix: string; // '127.X.Y' (the first /24)
  // The whole block: 127.X.Y.0/24, or 127.X.Y.0/23 when two /24s were asked for.
  cidr: string;
  next(): string; // successive host addresses in the block, from .10 up
}

// Picks a block whose first address can be bound (a cheap check that it is unused).
// One /24 holds 245 addresses (.10-.254), two per instance; `blocks: 2` takes an
// aligned /23 (Y even) for fleets of more than 122 instances, continuing in Y+1 at .1.
export async function allocateAddressBlock(random: () => number = Math.random, blocks: 1 | 2 = 1): Promise<AddressBlock> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const x = 100 + Math.floor(random() * 150);
    const y = blocks === 1 ? 1 + Math.floor(random() * 254) : 2 * (1 + Math.floor(random() * 126));
    const prefix = `127.${x}.${y}`;
    const second = `127.${x}.${y + 1}`;
    if ((await canBind(`${prefix}.10`)) && (blocks === 1 || (await canBind(`${second}.10`)))) {
      let host = 10;
      let sub = 0;
      return {
        prefix,
        cidr: `${prefix}.0/${blocks === 1 ? 24 : 23}`,
        next() {
          if (host > 254 && sub + 1 < blocks) {
            sub++;
            host = 1;
          }
          if (host > 254) throw new Error(`address block ${prefix}.0/${blocks === 1 ? 24 : 23} is exhausted`);
          return `127.${x}.${y + sub}.${host++}`;
        },
      };
    }
  }
  throw new Error('could not find a free 127.X.Y.0/24 block for sandbox instances');
}

export function isLoopback(address: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

function canBind(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(0, address, () => server.close(() => resolve(true)));
  });
}
