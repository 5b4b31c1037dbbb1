// The SSM route (ssm.md §2, §3, §4.1): StartSession with AWS-StartSSHSession, check
// that the StreamUrl is a Session Manager endpoint (or the explicit override), open the
// data channel and hand its Duplex to ssh2. Also the "is SSM an option" test that
// `auto` uses: the instance is a managed node whose agent is Online (§3.4).
import { readFile } from 'node:fs/promises';
import type { Aws } from '../../aws/aws.js';
import { EicError } from '../../errors.js';
import type { OpenedRoute, RouteRequest } from '../route.js';
import { proxyFor } from '../proxy.js';
import { DEFAULT_CHUNK_SIZE } from './channel.js';
import { openSsmStream } from './stream.js';

// §4.1 (choice): eic-ssh dials only AWS Session Manager endpoints, unless the user (or
// the sandbox) names another data-channel endpoint explicitly (scheme://host:port).
export const STREAM_URL_PREFIX_ENV = 'EIC_SSH_SSM_ENDPOINT_URL';
export const CHUNK_SIZE_ENV = 'EIC_SSH_SSM_CHUNK_SIZE';

export function checkStreamUrl(url: string, env: Record<string, string | undefined>): void {
  const prefix = env[STREAM_URL_PREFIX_ENV]?.replace(/\/+$/, '');
  if (prefix && url.startsWith(`${prefix}/`)) return;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed && parsed.protocol === 'wss:' && /^ssmmessages(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(parsed.hostname) && parsed.port === '') return;
  throw new EicError('SSM_SESSION', `refusing an SSM StreamUrl that is not a Session Manager endpoint: ${parsed ? `${parsed.protocol}//${parsed.host}` : 'unparsable URL'}`, {
    hint: `if this endpoint is intended (a test service), set ${STREAM_URL_PREFIX_ENV} to its scheme://host:port`,
  });
}

export function chunkSizeFrom(env: Record<string, string | undefined>): number {
  const raw = env[CHUNK_SIZE_ENV];
  if (raw === undefined || raw === '') return DEFAULT_CHUNK_SIZE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65536) {
    throw new EicError('USAGE', `${CHUNK_SIZE_ENV} must be a whole number of bytes from 1 to 65536, not ${JSON.stringify(raw)}`, {
      hint: `unset ${CHUNK_SIZE_ENV} to use the default of ${DEFAULT_CHUNK_SIZE} bytes`,
    });
  }
  return n;
}

// §3.4: `auto` tries SSM only for managed nodes whose agent is Online.
export async function ssmOnline(aws: Pick<Aws, 'describeSsmInstances'>, instanceId: string): Promise<boolean> {
  const found = await aws.describeSsmInstances([instanceId]);
  return found.some((i) => i.instanceId === instanceId && i.pingStatus === 'Online');
}

export async function openSsmTunnel(request: RouteRequest): Promise<OpenedRoute> {
  const { aws, instance, env } = request;
  // Like EICE: the instance-side port is what the user asked for, else 22 (EIC_SSH_PORT
  // is a direct-route setting).
  const port = request.userPort ?? 22;
  const chunkSize = chunkSizeFrom(env);
  if (request.via === 'auto' && !(await ssmOnline(aws, instance.instanceId))) {
    throw new EicError('NO_ROUTE', `${instance.instanceId} is not a managed node Online in Systems Manager`, {
      hint: 'install and start the SSM Agent with an instance profile allowing Session Manager, or pass --via',
    });
  }
  let start;
  try {
    start = await aws.startSsmSession({ instanceId: instance.instanceId, port, reason: `eic-ssh port ${port}` });
  } catch (error) {
    throw refine(error, instance.instanceId);
  }
  request.log(`ssm: started session ${start.sessionId}`);
  checkStreamUrl(start.streamUrl, env);
  const extraCaPem = env.EIC_SSH_CA_FILE ? await readFile(env.EIC_SSH_CA_FILE, 'utf8') : undefined;
  const { sock, info } = await openSsmStream({
    session: start,
    aws,
    checkStreamUrl: (url) => checkStreamUrl(url, env),
    log: request.log,
    notice: request.notice ?? request.log,
    connectTimeoutMs: request.connectTimeoutMs,
    extraCaPem,
    proxyFor: (url) => proxyFor(url, env),
    chunkSize,
  });
  return { route: 'ssm', sock, id: start.sessionId, detail: `SSM session ${start.sessionId} (agent ${info.agentVersion || 'unknown'}) to port ${port}` };
}

function refine(error: unknown, instanceId: string): unknown {
  const awsCode = (error as { awsCode?: string }).awsCode;
  if (awsCode === 'TargetNotConnected') {
    return new EicError('NO_ROUTE', `${instanceId} is not connected to Systems Manager`, {
      hint: 'the SSM Agent must run on the instance with an instance profile allowing Session Manager; check `aws ssm describe-instance-information`',
      cause: error,
    });
  }
  if (awsCode === 'InvalidDocument') {
    return new EicError('SSM_SESSION', 'Session Manager refused the AWS-StartSSHSession document', { hint: 'check ssm:StartSession permissions on document AWS-StartSSHSession', cause: error });
  }
  return error;
}
