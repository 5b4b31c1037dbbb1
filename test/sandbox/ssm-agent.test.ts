// The sandbox's SSM agent state machine (src/sandbox/ssm-agent.ts) driven with frames
// built by the shared codec and a fake clock: the handshake bytes, the agent's ack rules
// (ssm.md §8.2 agent column), the out-of-order buffer, the 15 s handshake timeout and
// retransmission (§11.3 with LastSentTime updated on resend).
import { describe, expect, it } from 'vitest';
import { SsmAgent, HANDSHAKE_TIMEOUT_OUTPUT, type AgentEffect, type AgentOptions } from '../../src/sandbox/ssm-agent.js';
import { encodeFlag, makeAcknowledge } from '../../src/tunnel/ssm/control-payloads.js';
import { encodeHandshakeResponse } from '../../src/tunnel/ssm/handshake-payloads.js';
import { decodeMessage, encodeMessage, type ClientMessage } from '../../src/tunnel/ssm/message.js';

const T0 = 1_700_000_000_000;

function ids(): () => string {
  let n = 0;
  return () => `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`;
}

function agent(overrides: Partial<AgentOptions> = {}): SsmAgent {
  return new SsmAgent({
    agentVersion: '3.3.1000.0',
    properties: { portNumber: '22' },
    handshakeTimeoutMs: 15_000,
    checkDigest: true,
    resendAllExpired: false,
    newId: ids(),
    ...overrides,
  });
}

function input(seq: number, payloadType: number, payload: Uint8Array | string, id = `11111111-2222-4333-8444-${seq.toString(16).padStart(12, '0')}`): Buffer {
  return encodeMessage({
    messageType: 'input_stream_data',
    schemaVersion: 1,
    createdDate: T0,
    sequenceNumber: seq,
    flags: 0,
    messageId: id,
    payloadType,
    payload: typeof payload === 'string' ? new Uint8Array(Buffer.from(payload)) : payload,
  });
}

function handshakeResponse(seq = 0, status = 1, clientVersion = '1.2.764.0'): Buffer {
  const payload = encodeHandshakeResponse({
    ClientVersion: clientVersion,
    ProcessedClientActions: [{ ActionType: 'SessionType', ActionStatus: status, ActionResult: null, Error: status === 1 ? '' : 'nope' }],
    Errors: null,
  });
  return input(seq, 6, payload);
}

function sent(effects: AgentEffect[]): ClientMessage[] {
  return effects.filter((e) => e.type === 'send').map((e) => decodeMessage((e as { frame: Buffer }).frame));
}
function acks(effects: AgentEffect[]): number[] {
  return sent(effects)
    .filter((m) => m.messageType === 'acknowledge')
    .map((m) => JSON.parse(Buffer.from(m.payload).toString()).AcknowledgedMessageSequenceNumber as number);
}
function writes(effects: AgentEffect[]): string[] {
  return effects.filter((e) => e.type === 'tcp-write').map((e) => Buffer.from((e as { data: Uint8Array }).data).toString());
}
function clientAck(message: ClientMessage): Buffer {
  return encodeMessage(makeAcknowledge(message, '99999999-0000-4000-8000-000000000001', T0));
}

// An agent past the handshake with its TCP connection up.
function openAgent(options: Partial<AgentOptions> = {}): SsmAgent {
  const a = agent(options);
  a.start(T0);
  a.receive(handshakeResponse(), T0 + 5);
  a.tcpConnected(T0 + 6);
  return a;
}

describe('SsmAgent handshake', () => {
  it('opens with HandshakeRequest: seq 0, SYN, payload type 5, exact bytes', () => {
    const [effect] = agent().start(T0);
    expect(effect?.type).toBe('send');
    const frame = (effect as { frame: Buffer }).frame;
    const payload = '{"AgentVersion":"3.3.1000.0","RequestedClientActions":[{"ActionType":"SessionType","ActionParameters":{"SessionType":"Port","Properties":{"portNumber":"22"}}}]}';
    const header =
      '00000074' + // HeaderLength 116
      Buffer.from('output_stream_data'.padEnd(32, ' ')).toString('hex') +
      '00000001' + // SchemaVersion
      '0000018bcfe56800' + // CreatedDate 1700000000000
      '0000000000000000' + // SequenceNumber 0
      '0000000000000001' + // Flags SYN
      // MessageId 00000000-0000-4000-8000-000000000001: canonical bytes 8–15, then 0–7 (§5.1)
      '8000000000000001' + '0000000000004000';
    expect(frame.subarray(0, 80).toString('hex')).toBe(header);
    expect(frame.subarray(112, 120).toString('hex')).toBe('00000005' + Buffer.byteLength(payload).toString(16).padStart(8, '0'));
    expect(frame.subarray(120).toString()).toBe(payload);
  });

  it('acks the HandshakeResponse, sends HandshakeComplete as seq 1, then dials', () => {
    const a = agent();
    a.start(T0);
    const effects = a.receive(handshakeResponse(), T0 + 2);
    expect(acks(effects)).toEqual([0]);
    const complete = sent(effects).find((m) => m.messageType === 'output_stream_data')!;
    expect(complete.sequenceNumber).toBe(1);
    expect(complete.payloadType).toBe(7);
    expect(JSON.parse(Buffer.from(complete.payload).toString())).toEqual({ HandshakeTimeToComplete: 2_000_000, CustomerMessage: '' });
    expect(effects.some((e) => e.type === 'tcp-connect')).toBe(true);
    expect(a.handshakeComplete).toBe(true);
    expect(a.clientVersion).toBe('1.2.764.0');
  });

  it('acks and discards stream data that arrives before the HandshakeResponse', () => {
    const a = agent();
    a.start(T0);
    // The client wrongly sends Output as seq 0, then the response as seq 1.
    const early = a.receive(input(0, 1, 'SSH-2.0-early\r\n'), T0 + 1);
    expect(acks(early)).toEqual([0]);
    expect(writes(early)).toEqual([]);
    expect(early.some((e) => e.type === 'log' && e.message.includes('discarded data before HandshakeComplete'))).toBe(true);
    const done = a.receive(handshakeResponse(1), T0 + 2);
    expect(acks(done)).toEqual([1]);
    expect(a.handshakeComplete).toBe(true);
    a.tcpConnected(T0 + 3);
    // The discarded bytes never reach the destination, even after the dial.
    expect(writes(a.receive(input(2, 1, 'real'), T0 + 4))).toEqual(['real']);
  });

  it('ends the session 15 s after HandshakeRequest without a response (fake clock)', () => {
    const a = agent();
    a.start(T0);
    expect(a.tick(T0 + 14_999).some((e) => e.type === 'end')).toBe(false);
    const effects = a.tick(T0 + 15_000);
    expect(effects).toContainEqual({ type: 'end', output: HANDSHAKE_TIMEOUT_OUTPUT });
    expect(a.ended).toBe(true);
    expect(a.receive(handshakeResponse(), T0 + 15_001)).toEqual([]);
  });

  it('cancels the session when the client does not report SessionType success', () => {
    const a = agent();
    a.start(T0);
    const effects = a.receive(handshakeResponse(0, 3), T0 + 1);
    expect(effects.find((e) => e.type === 'end')).toEqual({ type: 'end', output: 'Handshake failed: client action SessionType ActionStatus 3: nope.' });
    expect(sent(effects).some((m) => m.payloadType === 7)).toBe(false);
  });
});

describe('SsmAgent acknowledgements (§8.2 agent column)', () => {
  it('acks a stream message with the exact AcknowledgeContent of §8.1', () => {
    const a = agent();
    a.start(T0);
    const effects = a.receive(input(0, 6, encodeHandshakeResponse({ ClientVersion: '1.2.764.0', ProcessedClientActions: [{ ActionType: 'SessionType', ActionStatus: 1, ActionResult: null, Error: '' }], Errors: null }), '123e4567-e89b-12d3-a456-426614174000'), T0);
    const ack = sent(effects)[0]!;
    expect(ack).toMatchObject({ messageType: 'acknowledge', sequenceNumber: 0, flags: 3, payloadType: 0 });
    expect(Buffer.from(ack.payload).toString()).toBe(
      '{"AcknowledgedMessageType":"input_stream_data","AcknowledgedMessageId":"123e4567-e89b-12d3-a456-426614174000","AcknowledgedMessageSequenceNumber":0,"IsSequentialMessage":true}',
    );
  });

  it('does not ack data before the TCP connection to the destination exists', () => {
    const a = agent();
    a.start(T0);
    a.receive(handshakeResponse(), T0 + 1);
    const before = a.receive(input(1, 1, 'hello'), T0 + 2);
    expect(acks(before)).toEqual([]);
    expect(writes(before)).toEqual([]);
    a.tcpConnected(T0 + 3);
    const resent = a.receive(input(1, 1, 'hello'), T0 + 4);
    expect(acks(resent)).toEqual([1]);
    expect(writes(resent)).toEqual(['hello']);
  });

  it('re-acks duplicates without writing them again', () => {
    const a = openAgent();
    expect(writes(a.receive(input(1, 1, 'once'), T0 + 10))).toEqual(['once']);
    const dup = a.receive(input(1, 1, 'once'), T0 + 11);
    expect(acks(dup)).toEqual([1]);
    expect(writes(dup)).toEqual([]);
    const oldDup = a.receive(handshakeResponse(0), T0 + 12);
    expect(acks(oldDup)).toEqual([0]);
  });

  it('acks and buffers out-of-order messages and delivers them in order', () => {
    const a = openAgent();
    const third = a.receive(input(3, 1, 'C'), T0 + 10);
    expect(acks(third)).toEqual([3]);
    expect(writes(third)).toEqual([]);
    const second = a.receive(input(2, 1, 'B'), T0 + 11);
    expect(acks(second)).toEqual([2]);
    expect(writes(a.receive(input(3, 1, 'C'), T0 + 11))).toEqual([]); // buffered twice: re-acked, kept once
    const first = a.receive(input(1, 1, 'A'), T0 + 12);
    expect(acks(first)).toEqual([1]);
    expect(writes(first)).toEqual(['A', 'B', 'C']);
  });

  it('drops a message whose digest does not match, without an ack', () => {
    const a = openAgent();
    const frame = input(1, 1, 'data');
    frame[90] ^= 0xff; // inside PayloadDigest
    const effects = a.receive(frame, T0 + 10);
    expect(acks(effects)).toEqual([]);
    expect(writes(effects)).toEqual([]);
    expect(writes(a.receive(input(1, 1, 'data'), T0 + 11))).toEqual(['data']);
  });

  it('ends the session on the TerminateSession flag and closes TCP on DisconnectToPort', () => {
    const a = openAgent();
    const disconnect = a.receive(input(1, 10, encodeFlag(1)), T0 + 10);
    expect(acks(disconnect)).toEqual([1]);
    expect(disconnect.some((e) => e.type === 'tcp-close')).toBe(true);
    // The next Output redials and waits for the connection (no ack yet).
    const next = a.receive(input(2, 1, 'again'), T0 + 11);
    expect(next.some((e) => e.type === 'tcp-connect')).toBe(true);
    expect(acks(next)).toEqual([]);
    a.tcpConnected(T0 + 12);
    expect(writes(a.receive(input(2, 1, 'again'), T0 + 13))).toEqual(['again']);
    expect(a.receive(input(3, 10, encodeFlag(2)), T0 + 14)).toContainEqual({ type: 'end', output: '' });
  });
});

describe('SsmAgent retransmission (§11.3)', () => {
  it('resends an unacked message after the RTO, updating its send time, until acked', () => {
    const a = openAgent();
    const out = sent(a.sendOutput(new Uint8Array(Buffer.from('banner')), T0 + 100));
    const data = out[0]!;
    expect(data.sequenceNumber).toBe(2);
    // HandshakeRequest and HandshakeComplete were never acked either: ack them now.
    a.receive(encodeMessage(makeAcknowledge({ messageType: 'output_stream_data', messageId: data.messageId, sequenceNumber: 0 }, '99999999-0000-4000-8000-000000000002', T0)), T0 + 100);
    a.receive(encodeMessage(makeAcknowledge({ messageType: 'output_stream_data', messageId: data.messageId, sequenceNumber: 1 }, '99999999-0000-4000-8000-000000000003', T0)), T0 + 100);
    const rto = a.retransmissionTimeoutMs;
    expect(sent(a.tick(T0 + 100 + rto))).toEqual([]); // not yet: strictly greater than RTO
    const resent = sent(a.tick(T0 + 101 + rto));
    expect(resent.map((m) => [m.sequenceNumber, m.messageId])).toEqual([[2, data.messageId]]);
    // LastSentTime moved: the next tick inside the RTO sends nothing (§17 quirk 4 fixed).
    expect(sent(a.tick(T0 + 150 + rto))).toEqual([]);
    a.receive(clientAck(data), T0 + 160 + rto);
    expect(a.unacked).toBe(0);
    expect(sent(a.tick(T0 + 10_000))).toEqual([]);
  });

  it('faithful mode resends only the oldest expired message per tick; fast mode all of them', () => {
    for (const [resendAllExpired, expected] of [
      [false, 1],
      [true, 4],
    ] as const) {
      const a = agent({ resendAllExpired });
      a.start(T0);
      a.receive(handshakeResponse(), T0);
      a.tcpConnected(T0);
      a.sendOutput(new Uint8Array([1]), T0);
      a.sendOutput(new Uint8Array([2]), T0);
      // Unacked: HandshakeRequest (0), HandshakeComplete (1), two data messages.
      expect(sent(a.tick(T0 + 5_000))).toHaveLength(expected);
    }
  });
});
