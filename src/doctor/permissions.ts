// The IAM permissions each route needs (eice.md §8.2; "Session Manager: control user
// permissions for SSH connections") and how to simulate them for the caller. Every
// route pushes the key with SendSSHPublicKey (the ssm route too), so that one is general.
import type { Aws, CallerIdentity } from '../aws/aws.js';
import type { InstanceInfo } from '../aws/instance-info.js';
import type { PermissionResult, Route } from './facts.js';

export interface Permission {
  id: string;
  route: Route;
  action: string;
  resources: (c: PermissionContext) => string[];
  context?: (c: PermissionContext) => Record<string, string[]>;
}

export interface PermissionContext {
  region: string;
  account: string;
  instance: InstanceInfo;
  osUser: string;
  endpointIds: string[];
}

export const PERMISSIONS: Permission[] = [
  { id: 'perm-describe-instances', route: 'general', action: 'ec2:DescribeInstances', resources: () => ['*'] },
  {
    id: 'perm-send-ssh-public-key',
    route: 'general',
    action: 'ec2-instance-connect:SendSSHPublicKey',
    resources: (c) => [`arn:aws:ec2:${c.region}:${c.account}:instance/${c.instance.instanceId}`],
    context: (c) => ({ 'ec2:osuser': [c.osUser] }),
  },
  { id: 'perm-describe-endpoints', route: 'eice', action: 'ec2:DescribeInstanceConnectEndpoints', resources: () => ['*'] },
  {
    id: 'perm-open-tunnel',
    route: 'eice',
    action: 'ec2-instance-connect:OpenTunnel',
    resources: (c) => (c.endpointIds.length ? c.endpointIds.map((id) => `arn:aws:ec2:${c.region}:${c.account}:instance-connect-endpoint/${id}`) : ['*']),
  },
  {
    id: 'perm-start-session',
    route: 'ssm',
    action: 'ssm:StartSession',
    resources: (c) => [`arn:aws:ec2:${c.region}:${c.account}:instance/${c.instance.instanceId}`, `arn:aws:ssm:${c.region}::document/AWS-StartSSHSession`],
  },
];

// SimulatePrincipalPolicy takes an IAM user or role ARN; an assumed-role session
// (arn:aws:sts::<acct>:assumed-role/<role>/<session>) is simulated as its role.
export function policySourceArn(callerArn: string): string {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : callerArn;
}

export async function simulatePermissions(aws: Aws, identity: CallerIdentity, c: Omit<PermissionContext, 'account'>): Promise<PermissionResult[]> {
  const ctx = { ...c, account: identity.account };
  const source = policySourceArn(identity.arn);
  const answers = await Promise.all(
    PERMISSIONS.map(async (p) => {
      const results = await aws.simulatePrincipalPolicy({ policySourceArn: source, actions: [p.action], resources: p.resources(ctx), context: p.context?.(ctx) });
      return results.map((r) => ({ permission: p.id, action: r.action, resource: r.resource, decision: r.decision }));
    }),
  );
  return answers.flat();
}
