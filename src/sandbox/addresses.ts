// Loopback addresses for sandbox instances. Every sandbox takes its own random
// 127.X.Y.0/24 block so that several sandboxes (parallel test files, a demo next to
// a test run) never collide, and instances inside it get distinct addresses: the
// same port (22 as root) can then serve every instance, as on EC2.
// Nothing here ever leaves 127.0.0.0/8.
import { createServer } from 'node:net';

export interface AddressBlock {
  prefix: string; // '127.X.Y'
  next(): string; // successive host addresses in the block, from .10 up
}

// Picks a block whose first address can be bound (a cheap check that it is unused).
export async function allocateAddressBlock(random: () => number = Math.random): Promise<AddressBlock> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const x = 100 + Math.floor(random() * 150);
    const y = 1 + Math.floor(random() * 254);
    const prefix = `127.${x}.${y}`;
    if (await canBind(`${prefix}.10`)) {
      let host = 10;
      return {
        prefix,
        next() {
          if (host > 254) throw new Error(`address block ${prefix}.0/24 is exhausted`);
          return `${prefix}.${host++}`;
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
