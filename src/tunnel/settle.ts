// Work a route still has to do after its connection ended — for SSM, the
// TerminateSession flag and API call (ssm.md §14) — which main() awaits, bounded,
// before returning: bin/ exits the process right after main() returns.
const pending = new Set<Promise<unknown>>();

export function trackRouteCleanup(work: Promise<unknown>): void {
  const tracked = work.catch(() => undefined).finally(() => pending.delete(tracked));
  pending.add(tracked);
}

export async function settleRoutes(timeoutMs = 3_000): Promise<void> {
  if (pending.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  await Promise.race([Promise.allSettled([...pending]), timeout]);
  clearTimeout(timer);
}
