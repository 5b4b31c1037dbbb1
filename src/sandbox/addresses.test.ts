import { describe, expect, it } from 'vitest';
import { allocateAddressBlock, isLoopback } from './addresses.js';

describe('allocateAddressBlock', () => {
  it('a /24 gives .10 to .254, then refuses', async () => {
    const block = await allocateAddressBlock(() => 0.5);
    expect(block.cidr).toBe(`${block.prefix}.0/24`);
    const all = Array.from({ length: 245 }, () => block.next());
    expect(all[0]).toBe(`${block.prefix}.10`);
    expect(all.at(-1)).toBe(`${block.prefix}.254`);
    expect(() => block.next()).toThrow(/exhausted/);
  });

  it('a /23 continues into the next /24 and stays inside its CIDR', async () => {
    const block = await allocateAddressBlock(() => 0.5, 2);
    const [a, y] = block.prefix.split('.').slice(1).map(Number);
    expect(y % 2).toBe(0);
    expect(block.cidr).toBe(`127.${a}.${y}.0/23`);
    const all = Array.from({ length: 245 + 254 }, () => block.next());
    expect(new Set(all).size).toBe(all.length);
    expect(all[245]).toBe(`127.${a}.${y + 1}.1`);
    expect(all.at(-1)).toBe(`127.${a}.${y + 1}.254`);
    expect(all.every(isLoopback)).toBe(true);
    expect(() => block.next()).toThrow(/exhausted/);
  });
});
