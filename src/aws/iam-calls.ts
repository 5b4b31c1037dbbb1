// The IAM calls `eic-ssh doctor` makes: the instance profile's role and its attached
// managed policies, and SimulatePrincipalPolicy for the caller's permissions per route.
// Loaded on first use; nothing but doctor loads it.
import { GetInstanceProfileCommand, IAMClient, ListAttachedRolePoliciesCommand, SimulatePrincipalPolicyCommand, type ContextEntry } from '@aws-sdk/client-iam';
import type { Aws, AwsConfig } from './aws.js';
import { serviceEndpoint } from './endpoints.js';
import { sdkCaller, sdkCommon } from './sdk-config.js';

export type IamCalls = Pick<Aws, 'instanceProfileRoles' | 'listAttachedRolePolicies' | 'simulatePrincipalPolicy'>;

// Bounded paging: a role has at most 20 attached managed policies (IAM quota); a
// simulation of a few actions fits in a handful of pages.
const MAX_PAGES = 10;

export function createIamCalls(config: AwsConfig): IamCalls {
  const iam = new IAMClient({ ...sdkCommon(config), endpoint: serviceEndpoint(config.env, 'IAM') });
  const call = sdkCaller(config);
  return {
    async instanceProfileRoles(profileArn) {
      // arn:aws:iam::<account>:instance-profile[/path]/<name>
      const name = profileArn.split('/').pop() ?? profileArn;
      const out = await call('IAM', 'GetInstanceProfile', () => iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name })));
      return (out.InstanceProfile?.Roles ?? []).flatMap((r) => (r.RoleName ? [r.RoleName] : []));
    },
    async listAttachedRolePolicies(roleName) {
      const arns: string[] = [];
      let Marker: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await call('IAM', 'ListAttachedRolePolicies', () => iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker })));
        arns.push(...(out.AttachedPolicies ?? []).flatMap((p) => (p.PolicyArn ? [p.PolicyArn] : [])));
        Marker = out.IsTruncated ? out.Marker : undefined;
        if (!Marker) break;
      }
      return arns;
    },
    async simulatePrincipalPolicy(request) {
      const ContextEntries: ContextEntry[] = Object.entries(request.context ?? {}).map(([key, values]) => ({ ContextKeyName: key, ContextKeyValues: values, ContextKeyType: 'string' }));
      const results: { action: string; resource: string; decision: string }[] = [];
      let Marker: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const out = await call('IAM', 'SimulatePrincipalPolicy', () =>
          iam.send(
            new SimulatePrincipalPolicyCommand({
              PolicySourceArn: request.policySourceArn,
              ActionNames: request.actions,
              ResourceArns: request.resources,
              ContextEntries: ContextEntries.length ? ContextEntries : undefined,
              Marker,
            }),
          ),
        );
        for (const r of out.EvaluationResults ?? []) results.push({ action: r.EvalActionName ?? '', resource: r.EvalResourceName ?? '*', decision: r.EvalDecision ?? 'implicitDeny' });
        Marker = out.IsTruncated ? out.Marker : undefined;
        if (!Marker) break;
      }
      return results;
    },
  };
}
