// IAM checks: the instance role carries AmazonSSMManagedInstanceCore (seeds 000, 003),
// and the caller's permissions per route, from SimulatePrincipalPolicy. When the
// simulation is not allowed the checks are '?' and say so.
import type { CheckResult, DoctorFacts } from '../facts.js';
import { PERMISSIONS, policySourceArn } from '../permissions.js';
import { result } from './net.js';

export const SSM_CORE_POLICY = 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore';

export function rolePolicyCheck(f: DoctorFacts): CheckResult {
  const title = 'Role carries AmazonSSMManagedInstanceCore';
  if (!f.rolePolicies.ok) return result('ssm', 'role-policy', title, 'unknown', `could not check: ${f.rolePolicies.error}`);
  const found = f.rolePolicies.value;
  if (!found) return result('ssm', 'role-policy', title, 'unknown', 'no instance profile to check');
  // Partition-independent: arn:aws-cn:…, arn:aws-us-gov:… carry the same policy name.
  if (found.policyArns.some((arn) => arn.endsWith(':policy/AmazonSSMManagedInstanceCore'))) {
    return result('ssm', 'role-policy', title, 'ok', `${found.roles.join(', ')} has it attached`);
  }
  const role = found.roles[0] ?? '<role-name>';
  return result(
    'ssm',
    'role-policy',
    title,
    'fail',
    found.roles.length ? `${found.roles.join(', ')} has ${found.policyArns.length ? found.policyArns.map((a) => a.split('/').pop()).join(', ') : 'no managed policies'}` : 'the instance profile has no role',
    `aws iam attach-role-policy --role-name ${role} --policy-arn ${SSM_CORE_POLICY}`,
  );
}

function grantCommand(callerArn: string, action: string, resources: string[]): string {
  const source = policySourceArn(callerArn);
  const m = /:(user|role)\/(?:.*\/)?([^/]+)$/.exec(source);
  const doc = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resources.length === 1 ? resources[0] : resources }] });
  if (!m) return `allow ${action} on ${resources.join(', ')} in your IAM policy`;
  const kind = m[1];
  return `aws iam put-${kind}-policy --${kind}-name ${m[2]} --policy-name eic-ssh-${action.split(':')[1]} --policy-document '${doc}'`;
}

export function permissionChecks(f: DoctorFacts): CheckResult[] {
  return PERMISSIONS.map((p) => {
    const title = `You may call ${p.action}`;
    if (!f.permissions.ok) return result(p.route, p.id, title, 'unknown', `could not check: ${f.permissions.error}`);
    const answers = f.permissions.value.filter((r) => r.permission === p.id);
    if (answers.length === 0) return result(p.route, p.id, title, 'unknown', 'the simulation gave no answer');
    const denied = answers.filter((r) => r.decision !== 'allowed');
    if (denied.length === 0) return result(p.route, p.id, title, 'ok', `allowed on ${answers.map((r) => r.resource).join(', ')}`);
    const caller = f.identity.ok ? f.identity.value.arn : '';
    return result(
      p.route,
      p.id,
      title,
      'fail',
      denied.map((r) => `${r.decision} on ${r.resource}`).join(', '),
      grantCommand(caller, p.action, denied.map((r) => r.resource)),
    );
  });
}
