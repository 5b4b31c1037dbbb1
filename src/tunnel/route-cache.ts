// Remembers, per instance, the route `auto` last had to fall through to, so the next
// connect tries it first instead of waiting again for the route that failed (a
// filtered public address costs the whole connect timeout). Kept in the state dir as
// routes.json (no secrets: instance ids and route names). Entries expire after a day,
// and an entry whose route fails is dropped. Any read or write problem is ignored:
// the cache only ever saves time.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RouteName } from './route.js';

const TTL_MS = 24 * 3600_000;
const MAX_ENTRIES = 500;

interface Entry {
  route: RouteName;
  at: number;
}

export interface RouteCache {
  get(instanceId: string): Promise<RouteName | undefined>;
  set(instanceId: string, route: RouteName | undefined): Promise<void>;
}

export function routeCacheFile(env: Record<string, string | undefined>, homeDir: string): string {
  const home = env.EIC_SSH_HOME ? env.EIC_SSH_HOME.replace(/^~(?=\/|$)/, homeDir) : join(homeDir, '.eic-ssh');
  return join(home, 'routes.json');
}

export function fileRouteCache(file: string, now: () => number): RouteCache {
  const load = async (): Promise<Record<string, Entry>> => {
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, Entry>) : {};
    } catch {
      return {};
    }
  };
  return {
    async get(instanceId) {
      const entry = (await load())[instanceId];
      if (!entry || !['direct', 'eice', 'ssm'].includes(entry.route) || !(now() - entry.at < TTL_MS)) return undefined;
      return entry.route;
    },
    async set(instanceId, route) {
      try {
        const entries = await load();
        if (route) entries[instanceId] = { route, at: now() };
        else delete entries[instanceId];
        const kept = Object.entries(entries)
          .filter(([, e]) => now() - e.at < TTL_MS)
          .sort((a, b) => b[1].at - a[1].at)
          .slice(0, MAX_ENTRIES);
        await mkdir(join(file, '..'), { recursive: true, mode: 0o700 });
        const temp = `${file}.${process.pid}.tmp`;
        await writeFile(temp, JSON.stringify(Object.fromEntries(kept)) + '\n', { mode: 0o600 });
        await rename(temp, file);
      } catch {
        // a cache: never fatal
      }
    },
  };
}
