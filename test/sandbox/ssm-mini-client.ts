// A deliberately small Session Manager client for the sandbox's own tests (not eic-ssh's
// channel, which is tested separately): the shared codec, OpenDataChannel, the
// handshake answer, acks for everything (re-acking duplicates), an out-of-order buffer,
// a plain retransmission timer, and reattaching to a new websocket after ResumeSession.
// It exposes the byte stream as a Duplex so ssh2 can run over it.
import { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import {
  encodeOpenDataChannel,
  makeAcknowledge,
  parseAcknowledgeContent,
  parseChannelClosed,
} from '../../src/tunnel/ssm/control-payloads.js';
import { encodeHandshakeResponse } from '../../src/tunnel/ssm/handshake-payloads.js';
import { decodeMessage, encodeMessage, type ClientMessage } from '../../src/tunnel/ssm/message.js';

export interface MiniClientEvents {
  closes: Array<{ code: number; reason: string }>;
  channelClosed?: string; // channel_closed Output
  controls: string[]; // pause_publication / start_publication seen
}

const RESEND_AFTER_MS = 300;

export class MiniSsmClient {
  readonly events: MiniClientEvents = { closes: [], controls: [] };
  readonly stream: Duplex;
  handshakeRequest?: Record<string, unknown>;
  largestOutput = 0; // the largest Output payload received
  rejected = 0; // frames that failed to decode
  private ws?: WebSocket;
  private expected = 0; // next agent sequence number
  private readonly buffered = new Map<number, ClientMessage>();
  private nextSeq = 0;
  private readonly unacked = new Map<number, { frame: Buffer; sentAt: number }>();
  private readonly timer: NodeJS.Timeout;
  private ready!: () => void;
  readonly handshakeDone: Promise<void>;
  private readonly clientId = randomUUID();
  onSocketClose?: (code: number, reason: string) => void;

  constructor(private readonly options: { ca?: string; headers?: Record<string, string>; clientVersion?: string; answerStatus?: number; answerHandshake?: boolean } = {}) {
    this.handshakeDone = new Promise((resolve) => (this.ready = resolve));
    this.stream = new Duplex({
      read: () => {},
      // §9.3: no data before HandshakeComplete (the agent would ack and discard it).
      write: (chunk: Buffer, _enc, done) => {
        void this.handshakeDone.then(() => {
          for (let i = 0; i < chunk.length; i += 1024) this.sendStream(1, chunk.subarray(i, i + 1024));
          done();
        });
      },
    });
    this.timer = setInterval(() => this.resend(), 100);
  }

  // Opens (or, after ResumeSession, reopens) the websocket and sends OpenDataChannel.
  connect(streamUrl: string, token: string, headers = this.options.headers): Promise<void> {
    const ws = new WebSocket(streamUrl, { ca: this.options.ca, headers });
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary) => isBinary && this.onFrame(data));
    ws.on('close', (code, reason) => {
      this.events.closes.push({ code, reason: reason.toString() });
      if (this.ws === ws) this.onSocketClose?.(code, reason.toString());
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.send(encodeOpenDataChannel({ RequestId: randomUUID(), TokenValue: token, ClientId: this.clientId, ClientVersion: this.options.clientVersion ?? '1.2.764.0' }));
        resolve();
      });
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  // Raw frames (tests that speak the protocol by hand).
  sendRaw(frame: Buffer): void {
    this.ws?.send(frame, { binary: true });
  }

  close(): void {
    clearInterval(this.timer);
    this.ws?.terminate();
    this.stream.destroy();
  }

  private sendStream(payloadType: number, payload: Uint8Array): void {
    const seq = this.nextSeq++;
    const frame = encodeMessage({
      messageType: 'input_stream_data',
      schemaVersion: 1,
      createdDate: Date.now(),
      sequenceNumber: seq,
      flags: 0,
      messageId: randomUUID(),
      payloadType,
      payload,
    });
    this.unacked.set(seq, { frame, sentAt: Date.now() });
    this.sendRaw(frame);
  }

  private resend(): void {
    const now = Date.now();
    for (const entry of this.unacked.values()) {
      if (now - entry.sentAt > RESEND_AFTER_MS) {
        entry.sentAt = now;
        this.sendRaw(entry.frame);
      }
    }
  }

  private onFrame(frame: Buffer): void {
    let message: ClientMessage;
    try {
      message = decodeMessage(frame);
    } catch {
      this.rejected++; // e.g. a corrupted digest: no ack, so the agent resends
      return;
    }
    switch (message.messageType) {
      case 'acknowledge':
        this.unacked.delete(parseAcknowledgeContent(message.payload).AcknowledgedMessageSequenceNumber);
        return;
      case 'channel_closed':
        this.events.channelClosed = parseChannelClosed(message.payload).Output;
        this.stream.push(null);
        return;
      case 'output_stream_data':
        this.sendRaw(encodeMessage(makeAcknowledge(message, randomUUID(), Date.now())));
        if (message.sequenceNumber < this.expected) return;
        this.buffered.set(message.sequenceNumber, message);
        for (let next = this.buffered.get(this.expected); next; next = this.buffered.get(this.expected)) {
          this.buffered.delete(this.expected++);
          this.process(next);
        }
        return;
      default:
        this.events.controls.push(message.messageType);
    }
  }

  private process(message: ClientMessage): void {
    const text = () => Buffer.from(message.payload).toString('utf8');
    if (message.payloadType === 5) {
      this.handshakeRequest = JSON.parse(text()) as Record<string, unknown>;
      if (this.options.answerHandshake === false) return;
      const status = this.options.answerStatus ?? 1;
      const payload = encodeHandshakeResponse({
        ClientVersion: this.options.clientVersion ?? '1.2.764.0',
        ProcessedClientActions: [{ ActionType: 'SessionType', ActionStatus: status, ActionResult: null, Error: '' }],
        Errors: null,
      });
      this.sendStream(6, payload);
    } else if (message.payloadType === 7) {
      this.ready();
    } else if (message.payloadType === 1) {
      this.largestOutput = Math.max(this.largestOutput, message.payload.length);
      this.stream.push(Buffer.from(message.payload));
    }
  }
}
