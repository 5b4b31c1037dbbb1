// The sandbox agent's side of the session handshake (ssm.md §9), as pure functions: the
// HandshakeRequest it opens with, its verdict on the client's HandshakeResponse, the
// HandshakeComplete payload, and the Output it ends with when the client never answers.
// Separate from the agent's state machine (ssm-agent.ts) because this is session setup
// (what is asked and what counts as an acceptable answer), not the data stream.
import { ActionStatus, encodeHandshakeComplete, encodeHandshakeRequest, parseHandshakeResponse } from '../tunnel/ssm/handshake-payloads.js';

export const HANDSHAKE_TIMEOUT_OUTPUT = 'Handshake timed out. Please ensure that you have the latest version of the session manager plugin.';

// §9.1: one requested action, SessionType Port with the document's Properties.
export function handshakeRequestPayload(agentVersion: string, properties: Record<string, string>): Uint8Array {
  return encodeHandshakeRequest({
    AgentVersion: agentVersion,
    RequestedClientActions: [{ ActionType: 'SessionType', ActionParameters: { SessionType: 'Port', Properties: properties } }],
  });
}

// What the agent makes of a HandshakeResponse: the ClientVersion it read (absent when the
// payload could not be read at all) and, when the session must end, the Output to end with.
export interface HandshakeVerdict {
  clientVersion?: string;
  failure?: string;
}

// §9.2: every requested action must come back with ActionStatus Success.
export function judgeHandshakeResponse(payload: Uint8Array, properties: Record<string, string>): HandshakeVerdict {
  let response;
  try {
    response = parseHandshakeResponse(payload);
  } catch (error) {
    return { failure: `Handshake failed: ${(error as Error).message}` };
  }
  const clientVersion = response.ClientVersion;
  const answer = response.ProcessedClientActions.find((a) => a.ActionType === 'SessionType');
  if (!answer || answer.ActionStatus !== ActionStatus.Success) {
    const why = !answer ? 'no answer' : `ActionStatus ${answer.ActionStatus}${answer.Error ? `: ${answer.Error}` : ''}`;
    return { clientVersion, failure: `Handshake failed: client action SessionType ${why}.` };
  }
  // §9.4: LocalPortForwarding with ClientVersion >= 1.1.70 means smux, not emulated here.
  if (properties.type === 'LocalPortForwarding' && compareVersions(response.ClientVersion, '1.1.70') >= 0) {
    return { clientVersion, failure: 'The sandbox does not emulate multiplexed (smux) port forwarding (ssm.md §10.2).' };
  }
  return { clientVersion };
}

// §9.3: HandshakeTimeToComplete is in nanoseconds.
export function handshakeCompletePayload(startedAt: number, now: number): Uint8Array {
  const ns = Math.max(0, Math.round((now - startedAt) * 1e6));
  return encodeHandshakeComplete({ HandshakeTimeToComplete: ns, CustomerMessage: '' });
}

// Dotted version comparison ("1.2.764.0" vs "1.1.70"); non-numeric parts count as 0.
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
