// Shared with src/sandbox (pure codec).
// The handshake payloads of the SSM data channel (ssm.md §9): HandshakeRequest,
// HandshakeResponse and HandshakeComplete as JSON bytes. Separate from message.ts
// because they are the session-setup vocabulary, read and written only during the
// handshake by the client's channel and the sandbox's agent. Pure, like message.ts.
import { jsonBytes, parseJson, protocolError } from './message.js';

// §9.2: ActionStatus of a ProcessedClientAction.
export const ActionStatus = { Success: 1, Failed: 2, Unsupported: 3 } as const;

// §9.1 HandshakeRequest (agent → client, payload type 5).
export interface RequestedClientAction {
  ActionType: string;
  ActionParameters: unknown;
}
export interface HandshakeRequest {
  AgentVersion: string;
  RequestedClientActions: RequestedClientAction[];
}

export function encodeHandshakeRequest(request: HandshakeRequest): Uint8Array {
  return jsonBytes({ AgentVersion: request.AgentVersion, RequestedClientActions: request.RequestedClientActions });
}

export function parseHandshakeRequest(payload: Uint8Array): HandshakeRequest {
  const v = parseJson('HandshakeRequest', payload);
  const actions = v.RequestedClientActions;
  if (!Array.isArray(actions)) throw protocolError('HandshakeRequest without RequestedClientActions');
  return {
    AgentVersion: String(v.AgentVersion ?? ''),
    RequestedClientActions: actions.map((a: unknown) => {
      const o = (a ?? {}) as Record<string, unknown>;
      return { ActionType: String(o.ActionType ?? ''), ActionParameters: o.ActionParameters ?? null };
    }),
  };
}

// §9.2 HandshakeResponse (client → agent, payload type 6).
export interface ProcessedClientAction {
  ActionType: string;
  ActionStatus: number;
  ActionResult: unknown;
  Error: string;
}
export interface HandshakeResponse {
  ClientVersion: string;
  ProcessedClientActions: ProcessedClientAction[];
  Errors: string[] | null;
}

export function encodeHandshakeResponse(response: HandshakeResponse): Uint8Array {
  return jsonBytes({
    ClientVersion: response.ClientVersion,
    ProcessedClientActions: response.ProcessedClientActions.map((a) => ({
      ActionType: a.ActionType,
      ActionStatus: a.ActionStatus,
      ActionResult: a.ActionResult,
      Error: a.Error,
    })),
    Errors: response.Errors,
  });
}

export function parseHandshakeResponse(payload: Uint8Array): HandshakeResponse {
  const v = parseJson('HandshakeResponse', payload);
  const actions = Array.isArray(v.ProcessedClientActions) ? v.ProcessedClientActions : [];
  return {
    ClientVersion: String(v.ClientVersion ?? ''),
    ProcessedClientActions: actions.map((a: unknown) => {
      const o = (a ?? {}) as Record<string, unknown>;
      return {
        ActionType: String(o.ActionType ?? ''),
        ActionStatus: typeof o.ActionStatus === 'number' ? o.ActionStatus : 0,
        ActionResult: o.ActionResult ?? null,
        Error: String(o.Error ?? ''),
      };
    }),
    Errors: Array.isArray(v.Errors) ? v.Errors.map(String) : null,
  };
}

// §9.3 HandshakeComplete (agent → client, payload type 7). HandshakeTimeToComplete in ns.
export interface HandshakeComplete {
  HandshakeTimeToComplete: number;
  CustomerMessage: string;
}

export function encodeHandshakeComplete(complete: HandshakeComplete): Uint8Array {
  return jsonBytes({ HandshakeTimeToComplete: complete.HandshakeTimeToComplete, CustomerMessage: complete.CustomerMessage });
}

export function parseHandshakeComplete(payload: Uint8Array): HandshakeComplete {
  const v = parseJson('HandshakeComplete', payload);
  return {
    HandshakeTimeToComplete: typeof v.HandshakeTimeToComplete === 'number' ? v.HandshakeTimeToComplete : 0,
    CustomerMessage: typeof v.CustomerMessage === 'string' ? v.CustomerMessage : '',
  };
}
