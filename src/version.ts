// The package version, read once from package.json (found from src/ and from dist/src/).
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached) return cached;
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'eic-ssh' && parsed.version) return (cached = parsed.version);
    } catch {
      // not at this depth; try the next
    }
  }
  return (cached = '0.0.0');
}
