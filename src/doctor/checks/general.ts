// Checks every route depends on: who the caller is, and the instance's state, platform
// and image (EC2 Instance Connect needs a running Linux instance: seed 004, eice.md §3).
import type { CheckResult, DoctorFacts } from '../facts.js';
import { result, unknownFrom } from './net.js';

export function identityCheck(f: DoctorFacts): CheckResult {
  const title = 'Caller identity';
  return (
    unknownFrom('general', 'identity', title, f.identity) ??
    result('general', 'identity', title, 'ok', f.identity.ok ? `${f.identity.value.arn} (account ${f.identity.value.account})` : '')
  );
}

export function stateCheck(f: DoctorFacts): CheckResult {
  const i = f.instance;
  if (i.state === 'running') return result('general', 'instance-state', 'Instance is running', 'ok', `${i.instanceId} is running`);
  return result('general', 'instance-state', 'Instance is running', 'fail', `${i.instanceId} is ${i.state}`, `aws ec2 start-instances --instance-ids ${i.instanceId}`);
}

export function platformCheck(f: DoctorFacts): CheckResult {
  const i = f.instance;
  const platform = i.platformDetails ?? 'unknown platform';
  const detail = `${platform}, image ${i.imageId ?? 'unknown'}`;
  if (i.platformDetails === undefined) return result('general', 'platform', 'Linux/UNIX platform', 'unknown', detail);
  if (/windows/i.test(platform)) {
    return result('general', 'platform', 'Linux/UNIX platform', 'fail', `${detail}: EC2 Instance Connect and SSH need a Linux instance`, 'use RDP (port 3389) for Windows instances');
  }
  return result('general', 'platform', 'Linux/UNIX platform', 'ok', detail);
}

export function generalChecks(f: DoctorFacts): CheckResult[] {
  return [identityCheck(f), stateCheck(f), platformCheck(f)];
}
