// Many instance specs at once, for fleet tests and benchmarks: `count` instances named
// `${prefix}-1…N`, cycling through the route mixes (public; private behind the VPC's
// EICE; private and SSM-managed), each tagged fleet=<prefix> and route=<mix>.
import type { InstanceSpec } from './fleet.js';

export type RouteMix = 'public' | 'eice' | 'ssm';

export interface FleetOptions {
  prefix?: string;
  // The mixes to cycle through (default: all three).
  mixes?: readonly RouteMix[];
  image?: InstanceSpec['image'];
  tags?: Record<string, string>;
}

export function generateFleet(count: number, options: FleetOptions = {}): InstanceSpec[] {
  const prefix = options.prefix ?? 'node';
  const mixes = options.mixes ?? ['public', 'eice', 'ssm'];
  return Array.from({ length: count }, (_, i) => {
    const mix = mixes[i % mixes.length];
    return {
      name: `${prefix}-${i + 1}`,
      image: options.image ?? 'amazon-linux',
      public: mix === 'public',
      ssm: mix === 'ssm',
      subnet: i % 2 === 0 ? 'a' : 'b',
      tags: { fleet: prefix, route: mix, ...options.tags },
    } satisfies InstanceSpec;
  });
}
