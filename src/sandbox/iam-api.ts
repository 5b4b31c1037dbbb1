// The sandbox's IAM Query API (awsQuery, namespace 2010-05-08), the three calls
// `eic-ssh doctor` makes: GetInstanceProfile and ListAttachedRolePolicies over the
// network model's instance profiles, and SimulatePrincipalPolicy for the calling
// principal. Simulation is not policy evaluation: an action is implicitDeny when
// world.network.deniedPermissions names it, or (SendSSHPublicKey) when the push knobs
// deniedOsUsers / deniedInstances would refuse it, so the answer agrees with the
// sandbox's behaviour; everything else is allowed.
import type { ApiCall, ApiReply, QueryService } from './http-api.js';
import { QueryError, type QueryParams } from './query.js';
import { el, leaf, renderXml, withAttrs, type XmlChild } from './xml.js';

export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

const STATUS: Record<string, number> = { AccessDenied: 403, NoSuchEntity: 404 };

export function iamErrorReply(code: string, message: string, requestId: string, status = STATUS[code] ?? 400): ApiReply {
  const error = el('Error', leaf('Type', status >= 500 ? 'Receiver' : 'Sender'), leaf('Code', code), leaf('Message', message));
  const doc = withAttrs(el('ErrorResponse', error, leaf('RequestId', requestId)), { xmlns: IAM_NAMESPACE });
  return { status, contentType: 'text/xml', body: renderXml(doc, { pretty: true }), errorCode: code };
}

function iamReply(action: string, call: ApiCall, ...children: XmlChild[]): ApiReply {
  const doc = withAttrs(el(`${action}Response`, el(`${action}Result`, ...children), el('ResponseMetadata', leaf('RequestId', call.requestId))), { xmlns: IAM_NAMESPACE });
  return { status: 200, contentType: 'text/xml', body: renderXml(doc, { pretty: true }) };
}

function members(name: string, items: XmlChild[][]): XmlChild {
  return el(name, ...items.map((children) => el('member', ...children)));
}

// awsQuery lists: Name.member.N.
function list(p: QueryParams, name: string): string[] {
  return p.list(`${name}.member`);
}

function guard(call: ApiCall, action: string): void {
  if (call.world.network.deniedActions.has(action)) {
    throw new QueryError('AccessDenied', `User: ${call.principal.arn} is not authorized to perform: iam:${action}`);
  }
}

function profiles(call: ApiCall) {
  return [...call.world.network.instanceProfiles.values()];
}

function getInstanceProfile(p: QueryParams, call: ApiCall): ApiReply {
  const name = p.get('InstanceProfileName');
  call.params = { InstanceProfileName: name };
  guard(call, 'GetInstanceProfile');
  if (!name) throw new QueryError('ValidationError', "1 validation error detected: Value null at 'instanceProfileName' failed to satisfy constraint: Member must not be null");
  const profile = profiles(call).find((x) => x.arn.endsWith(`:instance-profile/${name}`));
  if (!profile) throw new QueryError('NoSuchEntity', `Instance Profile ${name} cannot be found.`);
  const account = call.world.accountId;
  const created = new Date(0).toISOString();
  return iamReply(
    'GetInstanceProfile',
    call,
    el(
      'InstanceProfile',
      leaf('InstanceProfileId', profile.profileId),
      members('Roles', [[leaf('Path', '/'), leaf('RoleName', profile.roleName), leaf('RoleId', `AROA${profile.profileId.slice(4)}`), leaf('Arn', `arn:aws:iam::${account}:role/${profile.roleName}`), leaf('CreateDate', created)]]),
      leaf('InstanceProfileName', name),
      leaf('Path', '/'),
      leaf('Arn', profile.arn),
      leaf('CreateDate', created),
    ),
  );
}

function listAttachedRolePolicies(p: QueryParams, call: ApiCall): ApiReply {
  const roleName = p.get('RoleName');
  call.params = { RoleName: roleName };
  guard(call, 'ListAttachedRolePolicies');
  const profile = profiles(call).find((x) => x.roleName === roleName);
  if (!profile) throw new QueryError('NoSuchEntity', `The role with name ${roleName ?? ''} cannot be found.`);
  return iamReply(
    'ListAttachedRolePolicies',
    call,
    members('AttachedPolicies', profile.policyArns.map((arn) => [leaf('PolicyName', arn.split('/').pop()), leaf('PolicyArn', arn)])),
    leaf('IsTruncated', false),
  );
}

function simulatePrincipalPolicy(p: QueryParams, call: ApiCall): ApiReply {
  const source = p.get('PolicySourceArn');
  const actions = list(p, 'ActionNames');
  const resources = list(p, 'ResourceArns');
  const context = new Map<string, string[]>();
  for (let n = 1; p.get(`ContextEntries.member.${n}.ContextKeyName`) !== undefined; n++) {
    context.set(p.get(`ContextEntries.member.${n}.ContextKeyName`)!.toLowerCase(), list(p, `ContextEntries.member.${n}.ContextKeyValues`));
  }
  call.params = { PolicySourceArn: source, ActionNames: actions, ResourceArns: resources, ContextEntries: Object.fromEntries(context) };
  guard(call, 'SimulatePrincipalPolicy');
  if (source !== call.principal.arn) throw new QueryError('NoSuchEntity', `The entity ${source ?? ''} cannot be found.`);
  if (actions.length === 0) throw new QueryError('ValidationError', "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null");
  const { world } = call;
  const decide = (action: string, resource: string): string => {
    if (world.network.deniedPermissions.has(action)) return 'implicitDeny';
    if (action.startsWith('ec2:') && world.network.deniedActions.has(action.slice(4))) return 'implicitDeny';
    if (action === 'ec2-instance-connect:SendSSHPublicKey') {
      const osUsers = context.get('ec2:osuser') ?? [];
      if (osUsers.some((u) => world.knobs.deniedOsUsers.has(u))) return 'implicitDeny';
      if ([...world.knobs.deniedInstances].some((id) => resource.endsWith(`/${id}`))) return 'implicitDeny';
    }
    return 'allowed';
  };
  const results = actions.flatMap((action) =>
    (resources.length ? resources : ['*']).map((resource) => [leaf('EvalActionName', action), leaf('EvalResourceName', resource), leaf('EvalDecision', decide(action, resource)), el('MatchedStatements'), el('MissingContextValues')]),
  );
  return iamReply('SimulatePrincipalPolicy', call, members('EvaluationResults', results), leaf('IsTruncated', false));
}

function run(action: (p: QueryParams, call: ApiCall) => ApiReply) {
  return (p: QueryParams, call: ApiCall): ApiReply => {
    try {
      return action(p, call);
    } catch (error) {
      if (error instanceof QueryError) return iamErrorReply(error.code, error.message, call.requestId);
      throw error;
    }
  };
}

export const iamService: QueryService = {
  signingName: 'iam',
  protocol: 'sts', // awsQuery, with STS's authentication error codes
  actions: {
    GetInstanceProfile: run(getInstanceProfile),
    ListAttachedRolePolicies: run(listAttachedRolePolicies),
    SimulatePrincipalPolicy: run(simulatePrincipalPolicy),
  },
  errorReply: iamErrorReply,
  unknownAction: (name, requestId) => iamErrorReply('InvalidAction', `Could not find operation ${name} for version 2010-05-08`, requestId),
};
