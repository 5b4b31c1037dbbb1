// The sandbox's STS Query API: GetCallerIdentity, so that "who am I" checks and
// credential diagnostics work against the sandbox. XML in the STS namespace; errors use
// the awsQuery <ErrorResponse> document (with <Type>Sender</Type> for client faults).
import type { QueryParams } from './query.js';
import { el, leaf, renderXml, withAttrs } from './xml.js';
import type { ApiCall, ApiReply, QueryService } from './http-api.js';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const STS_VERSION = '2011-06-15';

export function stsErrorReply(code: string, message: string, requestId: string, status = 400): ApiReply {
  const error = el('Error', leaf('Type', status >= 500 ? 'Receiver' : 'Sender'), leaf('Code', code), leaf('Message', message));
  const doc = withAttrs(el('ErrorResponse', error, leaf('RequestId', requestId)), { xmlns: STS_NAMESPACE });
  return { status, contentType: 'text/xml', body: renderXml(doc, { pretty: true }), errorCode: code };
}

// Account id is the fifth field of the principal's ARN (arn:aws:iam::<account>:user/…).
function accountOf(arn: string, fallback: string): string {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : fallback;
}

function getCallerIdentity(_params: QueryParams, call: ApiCall): ApiReply {
  // awsQuery services ignore parameters they do not model, unlike EC2.
  call.params = {};
  const { principal, world, requestId } = call;
  const result = el(
    'GetCallerIdentityResult',
    leaf('Arn', principal.arn),
    leaf('UserId', principal.userId),
    leaf('Account', accountOf(principal.arn, world.accountId)),
  );
  const doc = withAttrs(
    el('GetCallerIdentityResponse', result, el('ResponseMetadata', leaf('RequestId', requestId))),
    { xmlns: STS_NAMESPACE },
  );
  return { status: 200, contentType: 'text/xml', body: renderXml(doc, { pretty: true }) };
}

export const stsService: QueryService = {
  signingName: 'sts',
  protocol: 'sts',
  actions: { GetCallerIdentity: getCallerIdentity },
  errorReply: stsErrorReply,
  unknownAction: (name, requestId) => stsErrorReply('InvalidAction', `Could not find operation ${name} for version ${STS_VERSION}`, requestId),
};
