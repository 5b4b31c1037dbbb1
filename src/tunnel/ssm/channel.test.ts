// The client handshake of a port session (ssm.md §9) against a scripted agent built
// from the codec: the answer to each requested action, the ClientVersion, no data
// before HandshakeComplete, and the TerminateSession flag at the end.
import { describe, expect, it } from 'vitest';
import type { EicError } from '../../errors.js';
import { CLIENT_VERSION, SsmClientChannel } from './channel.js';
import { parseFlag } from './control-payloads.js';
import {
  encodeHandshakeComplete,
  encodeHandshakeRequest,
  parseHandshakeResponse,
} from './handshake-payloads.js';
import {
  decodeMessage,
  encodeMessage,
  MessageType,
  PayloadType,
  PayloadTypeFlag,
  type ClientMessage,
} from './message.js';

let agentSeq = 0;
function fromAgent(payloadType: number, payload: Uint8Array, messageType: string = MessageType.OutputStreamData): Buffer {
  return encodeMessage({
    messageType,
    schemaVersion: 1,
    createdDate: 1_700_000_000_000,
    sequenceNumber: messageType === MessageType.OutputStreamData ? agentSeq++ : 0,
    flags: agentSeq === 1 ? 1 : 0,
    messageId: '123e4567-e89b-12d3-a456-426614174000',
    payloadType,
    payload,
  });
}

function setup() {
  agentSeq = 0;
  const sent: ClientMessage[] = [];
  const got: string[] = [];
  const errors: EicError[] = [];
  const opened: string[] = [];
  const closed: string[] = [];
  const channel = new SsmClientChannel(
    {
      emit: (f) => sent.push(decodeMessage(f)),
      open: (info) => opened.push(info.agentVersion),
      data: (b) => got.push(Buffer.from(b).toString()),
      drain: () => undefined,
      closed: (o) => closed.push(o),
      error: (e) => errors.push(e),
    },
    { now: () => 1_700_000_000_000, chunkSize: 4 },
  );
  const stream = () => sent.filter((m) => m.messageType === MessageType.InputStreamData);
  return { channel, sent, got, errors, opened, closed, stream };
}

const sshRequest = (actions: unknown[]) => encodeHandshakeRequest({ AgentVersion: '3.3.1000.0', RequestedClientActions: actions as never });
const portAction = { ActionType: 'SessionType', ActionParameters: { SessionType: 'Port', Properties: { portNumber: '22' } } };

describe('SsmClientChannel handshake', () => {
  it('answers SessionType Port with Success and its ClientVersion, then opens on HandshakeComplete', () => {
    const t = setup();
    expect(t.channel.write(Buffer.from('SSH-2.0-x\r\n'))).toBe(false); // held: no data before the handshake
    t.channel.receive(fromAgent(PayloadType.HandshakeRequest, sshRequest([portAction])));
    const [response] = t.stream();
    expect(response.sequenceNumber).toBe(0);
    expect(response.payloadType).toBe(PayloadType.HandshakeResponse);
    expect(parseHandshakeResponse(response.payload)).toEqual({
      ClientVersion: CLIENT_VERSION,
      ProcessedClientActions: [{ ActionType: 'SessionType', ActionStatus: 1, ActionResult: null, Error: '' }],
      Errors: null,
    });
    expect(t.stream()).toHaveLength(1);
    t.channel.receive(fromAgent(PayloadType.HandshakeComplete, encodeHandshakeComplete({ HandshakeTimeToComplete: 5, CustomerMessage: '' })));
    expect(t.opened).toEqual(['3.3.1000.0']);
    expect(t.channel.state).toBe('open');
    // The held bytes go out now, in 4-byte chunks, unchanged.
    const data = t.stream().slice(1);
    expect(data.map((m) => m.payloadType)).toEqual([1, 1, 1]);
    expect(data.map((m) => m.sequenceNumber)).toEqual([1, 2, 3]);
    expect(Buffer.concat(data.map((m) => m.payload)).toString()).toBe('SSH-2.0-x\r\n');
    // Both agent messages were acknowledged.
    expect(t.sent.filter((m) => m.messageType === MessageType.Acknowledge)).toHaveLength(2);
    t.channel.receive(fromAgent(PayloadType.Output, Buffer.from('SSH-2.0-OpenSSH')));
    expect(t.got).toEqual(['SSH-2.0-OpenSSH']);
  });

  it('refuses KMSEncryption with ActionStatus 3 (not ActionResult, §17 #7) and fails the session', () => {
    const t = setup();
    t.channel.receive(fromAgent(PayloadType.HandshakeRequest, sshRequest([portAction, { ActionType: 'KMSEncryption', ActionParameters: { KMSKeyId: 'k', Challenge: 'c' } }])));
    const response = parseHandshakeResponse(t.stream()[0].payload);
    expect(response.ProcessedClientActions.map((a) => [a.ActionType, a.ActionStatus, a.ActionResult])).toEqual([
      ['SessionType', 1, null],
      ['KMSEncryption', 3, null],
    ]);
    expect(t.errors[0]?.code).toBe('SSM_SESSION');
    expect(t.channel.state).toBe('closed');
  });

  it('fails a SessionType other than Port', () => {
    const t = setup();
    t.channel.receive(fromAgent(PayloadType.HandshakeRequest, sshRequest([{ ActionType: 'SessionType', ActionParameters: { SessionType: 'Standard_Stream' } }])));
    expect(parseHandshakeResponse(t.stream()[0].payload).ProcessedClientActions[0].ActionStatus).toBe(2);
    expect(t.errors[0]?.message).toMatch(/only Port sessions/);
  });

  it('sends the TerminateSession flag as a sequenced message', () => {
    const t = setup();
    t.channel.receive(fromAgent(PayloadType.HandshakeRequest, sshRequest([portAction])));
    t.channel.receive(fromAgent(PayloadType.HandshakeComplete, encodeHandshakeComplete({ HandshakeTimeToComplete: 5, CustomerMessage: 'hi' })));
    t.channel.terminate();
    const flag = t.stream().at(-1)!;
    expect(flag.payloadType).toBe(PayloadType.Flag);
    expect(parseFlag(flag.payload)).toBe(PayloadTypeFlag.TerminateSession);
    expect(flag.sequenceNumber).toBe(1);
  });

  it('treats channel_closed as the end and reports its Output', () => {
    const t = setup();
    t.channel.receive(
      fromAgent(0, Buffer.from(JSON.stringify({ MessageId: 'm', CreatedDate: 'd', DestinationId: 'i', SessionId: 's', MessageType: 'channel_closed', SchemaVersion: 1, Output: 'Session timed out' })), MessageType.ChannelClosed),
    );
    expect(t.closed).toEqual(['Session timed out']);
    expect(t.channel.state).toBe('closed');
  });

  it('fails on ConnectToPortError', () => {
    const t = setup();
    t.channel.receive(fromAgent(PayloadType.HandshakeRequest, sshRequest([portAction])));
    t.channel.receive(fromAgent(PayloadType.HandshakeComplete, encodeHandshakeComplete({ HandshakeTimeToComplete: 5, CustomerMessage: '' })));
    t.channel.receive(fromAgent(PayloadType.Flag, Uint8Array.of(0, 0, 0, 3)));
    expect(t.errors[0]?.message).toMatch(/could not connect to the SSH port/);
  });
});
