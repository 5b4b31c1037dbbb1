// Runs every check and turns the results into the verdict and the printed checklist.
// A route "can work" when the general checks and its own checks have no ✗; '?' does
// not block (it is reported as unverified).
import { directChecks } from './checks/direct.js';
import { eiceChecks } from './checks/eice.js';
import { generalChecks } from './checks/general.js';
import { permissionChecks } from './checks/iam.js';
import { ssmChecks } from './checks/ssm.js';
import type { CheckResult, DoctorFacts, Route } from './facts.js';

export const ROUTES = ['direct', 'eice', 'ssm'] as const;

export interface DoctorReport {
  instanceId: string;
  checks: CheckResult[];
  routes: Record<(typeof ROUTES)[number], { usable: boolean; blockedBy: string[] }>;
  verdict: string;
}

export function runChecks(f: DoctorFacts): CheckResult[] {
  // Permission checks come last (slowest to fix); rendering groups them by route.
  return [...generalChecks(f), ...directChecks(f), ...eiceChecks(f), ...ssmChecks(f), ...permissionChecks(f)];
}

export function buildReport(instanceId: string, checks: CheckResult[]): DoctorReport {
  const failing = (route: Route) => checks.filter((c) => c.route === route && c.status === 'fail').map((c) => c.title);
  const general = failing('general');
  const routes = Object.fromEntries(
    ROUTES.map((r) => {
      const blockedBy = [...general, ...failing(r)];
      return [r, { usable: blockedBy.length === 0, blockedBy }];
    }),
  ) as DoctorReport['routes'];
  return { instanceId, checks, routes, verdict: verdictLine(routes) };
}

export function verdictLine(routes: DoctorReport['routes']): string {
  const usable = ROUTES.filter((r) => routes[r].usable);
  const blocked = ROUTES.filter((r) => !routes[r].usable).map((r) => `${r} blocked: ${routes[r].blockedBy.join(', ')}`);
  const head = usable.length ? `reachable via ${usable.join(', ')}` : 'not reachable by any route';
  return [head, ...blocked].join('; ');
}

const MARK = { ok: '✓', fail: '✗', unknown: '?' } as const;
const HEADINGS: Record<Route, string> = { general: 'General', direct: 'Direct (public address)', eice: 'EC2 Instance Connect Endpoint', ssm: 'SSM Session Manager' };

export function renderReport(report: DoctorReport): string {
  const lines: string[] = [`eic-ssh doctor ${report.instanceId}`];
  for (const route of ['general', ...ROUTES] as Route[]) {
    lines.push('', HEADINGS[route]);
    for (const c of report.checks.filter((x) => x.route === route)) {
      lines.push(`  ${MARK[c.status]} ${c.title}: ${c.detail}`);
      if (c.fix) lines.push(`      fix: ${c.fix}`);
    }
  }
  lines.push('', `Verdict: ${report.verdict}`);
  return lines.join('\n') + '\n';
}
