// The SSM data channel as a Node Duplex for ssh2 (ssm.md §2, §4, §13, §14): the
// client channel (channel.ts) driven by a websocket to the StreamUrl (SigV4-signed
// upgrade, OpenDataChannel text frame, pings), a resend timer, back-pressure both ways,
// reconnection through ResumeSession when the socket closes (including MGS's periodic
// CLOSE 1000 "Bye") with nothing lost, and a clean end: TerminateSession flag + API.
import { randomUUID } from 'node:crypto';
import { Duplex } from 'node:stream';
import { WebSocket, type RawData } from 'ws';
import type { Aws, SsmSessionStart } from '../../aws/aws.js';
import { EicError } from '../../errors.js';
import { trackRouteCleanup } from '../settle.js';
import { CLIENT_VERSION, SsmClientChannel } from './channel.js';
import { dialStream } from './dial.js';
import { encodeOpenDataChannel } from './control-payloads.js';

export interface SsmStreamOptions {
  session: SsmSessionStart;
  aws: Pick<Aws, 'resumeSsmSession' | 'terminateSsmSession' | 'signSsmStreamUpgrade'>;
  // Throws an EicError when a (resumed) StreamUrl is not one we may dial (§4.1).
  checkStreamUrl(url: string): void;
  log(line: string): void;
  // Shown to the user (stderr): CustomerMessage, channel_closed Output (§9.3, §14).
  notice(line: string): void;
  connectTimeoutMs: number;
  extraCaPem?: string;
  // HTTP CONNECT proxy for a StreamUrl (HTTPS_PROXY/NO_PROXY, proxy.ts), if any.
  proxyFor?(url: URL): URL | undefined;
  chunkSize?: number;
  maxInFlight?: number;
  // Reconnect budget (§13, choice: bounded in tries and time, logged).
  maxReconnectTries?: number;
  reconnectBudgetMs?: number;
  pingIntervalMs?: number;
}

const TICK_MS = 10; // resend timer granularity (G of §11.1)
const RECEIVE_HIGH_WATER = 4 * 1024 * 1024; // stop acking beyond this unread backlog (§8.2)
const BACKLOG_NO_RESEND = 64 * 1024;
const END_ACK_WAIT_MS = 2_000; // on exit, how long to wait for outstanding data to be acked

export interface SsmStreamInfo {
  agentVersion: string;
  customerMessage: string;
}

// Opens the websocket, completes the handshake, and resolves with the Duplex.
export async function openSsmStream(options: SsmStreamOptions): Promise<{ sock: Duplex; info: SsmStreamInfo }> {
  const stream = new SsmStream(options);
  const info = await stream.start();
  return { sock: stream, info };
}

class SsmStream extends Duplex {
  private readonly o: SsmStreamOptions;
  private readonly channel: SsmClientChannel;
  private readonly clientId = randomUUID(); // §4.4: fixed for the client's lifetime
  private streamUrl: string;
  private ws: WebSocket | undefined;
  private writeCallback: ((error?: Error | null) => void) | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private ending = false;
  private finished = false;
  private terminated = false;
  private reconnecting = false;
  private reconnects = 0;
  private statsLogged = false;
  private onOpen: ((info: SsmStreamInfo) => void) | undefined;
  private onFail: ((error: Error) => void) | undefined;

  constructor(options: SsmStreamOptions) {
    super({ allowHalfOpen: false });
    this.o = options;
    this.streamUrl = options.session.streamUrl;
    this.channel = new SsmClientChannel(
      {
        emit: (frame) => {
          if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(frame, { binary: true });
        },
        open: (info) => {
          if (info.customerMessage) this.o.notice(info.customerMessage);
          this.onOpen?.({ agentVersion: info.agentVersion, customerMessage: info.customerMessage });
        },
        data: (bytes) => {
          this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        },
        drain: () => this.releaseWrite(),
        closed: (output) => this.onChannelClosed(output),
        error: (error) => this.fail(error),
        log: (line) => this.o.log(line),
      },
      {
        now: () => Date.now(), // also CreatedDate (epoch ms, §5.1)
        chunkSize: options.chunkSize,
        maxInFlight: options.maxInFlight,
        canDeliver: () => this.readableLength < RECEIVE_HIGH_WATER,
      },
    );
    this.channel.linkDown(); // nothing goes out before OpenDataChannel
  }

  start(): Promise<SsmStreamInfo> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new EicError('CONNECT_TIMEOUT', `the SSM session did not complete its handshake in ${Math.round(this.o.connectTimeoutMs / 1000)} s`, { hint: 'check the instance\'s SSM Agent (eic-ssh ls shows its ping status) and retry' })),
        this.o.connectTimeoutMs,
      );
      this.onOpen = (info) => {
        clearTimeout(timer);
        this.onFail = undefined;
        resolve(info);
      };
      this.onFail = (error) => {
        clearTimeout(timer);
        reject(error);
      };
      this.ticker = setInterval(() => this.onTick(), TICK_MS);
      this.pinger = setInterval(() => this.ws?.ping('keepalive'), this.o.pingIntervalMs ?? 30_000); // §4.5: < 5 min
      this.connect(this.o.session.tokenValue).catch((error: unknown) => this.fail(error as Error));
    });
  }

  // Resend expired messages, unless our own socket still holds unsent bytes: then the
  // peer is applying TCP back-pressure (it stops reading while its destination is
  // slow), the "lost" messages have not even left this machine, and a resend would
  // only queue more behind them (choice, on top of §11.3).
  private onTick(): void {
    if ((this.ws?.bufferedAmount ?? 0) < BACKLOG_NO_RESEND) this.channel.tick();
  }

  private async connect(token: string): Promise<void> {
    const headers = await this.o.aws.signSsmStreamUpgrade(this.streamUrl);
    const ws = await dialStream(this.streamUrl, headers, this.o);
    if (this.destroyed) {
      ws.terminate();
      return;
    }
    this.ws = ws;
    // §4.4: first frame TEXT, then binary ClientMessages. Never log the token.
    ws.send(encodeOpenDataChannel({ RequestId: randomUUID(), TokenValue: token, ClientId: this.clientId, ClientVersion: CLIENT_VERSION }));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) return this.o.log('ssm: ignored a text frame');
      this.channel.receive(toBuffer(data));
    });
    ws.once('close', (code: number, reason: Buffer) => this.onSocketClosed(ws, code, reason.toString('utf8')));
    ws.on('error', (error: Error) => this.o.log(`ssm: websocket error: ${error.message}`));
    this.channel.linkRestored(); // resends whatever is unacked (§13 step 4)
  }

  private onSocketClosed(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    this.channel.linkDown();
    if (this.finished || this.destroyed || this.channel.state === 'closed') return;
    this.o.log(`ssm: websocket closed (${code}${reason ? ` ${reason}` : ''}); resuming session`);
    void this.reconnect();
  }

  // §13: ResumeSession for a fresh token, dial again, resend OpenDataChannel; channel
  // state (sequence numbers, unacked and out-of-order buffers) carries over.
  private async reconnect(): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    const maxTries = this.o.maxReconnectTries ?? 8;
    const deadline = Date.now() + (this.o.reconnectBudgetMs ?? 120_000);
    let delay = 100 + Math.floor(Math.random() * 100);
    let lastError: unknown;
    try {
      for (let attempt = 1; attempt <= maxTries && Date.now() < deadline && !this.destroyed; attempt++) {
        try {
          const resumed = await this.o.aws.resumeSsmSession(this.o.session.sessionId);
          if (!resumed.tokenValue) {
            return this.fail(new EicError('SSM_SESSION', `SSM session ${this.o.session.sessionId} timed out`, { hint: 'the session hit its idle or maximum duration (Session Manager preferences); connect again' }));
          }
          // §22 (choice): use a returned StreamUrl that differs, once it passes the same check.
          if (resumed.streamUrl && resumed.streamUrl !== this.streamUrl) {
            this.o.checkStreamUrl(resumed.streamUrl);
            this.streamUrl = resumed.streamUrl;
          }
          await this.connect(resumed.tokenValue);
          this.reconnects++;
          this.o.log(`ssm: resumed session (attempt ${attempt})`);
          return;
        } catch (error) {
          lastError = error;
          this.o.log(`ssm: resume attempt ${attempt}/${maxTries} failed: ${(error as Error).message}`);
          if (attempt === maxTries) break;
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(5_000, delay * 2);
        }
      }
      if (!this.destroyed) {
        this.fail(new EicError('SSM_SESSION', `lost the SSM session ${this.o.session.sessionId}: could not reconnect after ${maxTries} tries`, { hint: 'check your network and credentials (ssm:ResumeSession), then connect again', cause: lastError }));
      }
    } finally {
      this.reconnecting = false;
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.channel.state === 'closed') return callback(new EicError('CONNECT', 'the SSM session has ended'));
    if (this.channel.write(chunk)) callback();
    else this.writeCallback = callback; // back-pressure until the window has room (§17 #5)
  }

  override _read(): void {
    this.channel.resumeDelivery();
  }

  // ssh2 finished writing: let what is in flight be acked, then end the session (§14).
  override _final(callback: (error?: Error | null) => void): void {
    const finishing = this.finish();
    trackRouteCleanup(finishing);
    void finishing.then(() => callback(), (error: unknown) => callback(error as Error));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.cleanup();
    if (!this.terminated) trackRouteCleanup(this.terminateApi());
    callback(error);
  }

  private async finish(): Promise<void> {
    if (this.ending) return;
    this.ending = true;
    const until = Date.now() + END_ACK_WAIT_MS;
    while (!this.channel.allAcked && this.ws && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    if (this.channel.state === 'open') this.channel.terminate(); // TerminateSession flag (§7)
    const flagUntil = Date.now() + 500;
    while (!this.channel.allAcked && this.ws && Date.now() < flagUntil) await new Promise((r) => setTimeout(r, 10));
    this.finished = true;
    await this.terminateApi();
    this.cleanup();
    this.push(null);
  }

  private logStats(): void {
    if (this.statsLogged) return;
    this.statsLogged = true;
    const s = this.channel.stats;
    this.o.log(`ssm: ${s.sent} messages sent, ${s.resent} resent, ${s.received} received (${s.duplicates} duplicate, ${s.buffered} out of order, ${s.badFrames} unreadable), ${this.reconnects} reconnects`);
  }

  private async terminateApi(): Promise<void> {
    this.logStats();
    if (this.terminated) return;
    this.terminated = true;
    try {
      await this.o.aws.terminateSsmSession(this.o.session.sessionId);
      this.o.log(`ssm: terminated session ${this.o.session.sessionId}`);
    } catch (error) {
      this.o.log(`ssm: TerminateSession failed: ${(error as Error).message}`);
    }
  }

  private releaseWrite(): void {
    const callback = this.writeCallback;
    if (callback && this.channel.hasRoom()) {
      this.writeCallback = undefined;
      callback();
    }
  }

  // §14 (choice): channel_closed is EOF of the Duplex; its Output goes to stderr.
  private onChannelClosed(output: string): void {
    if (output) this.o.notice(output);
    this.o.log('ssm: channel_closed');
    this.logStats();
    this.finished = true;
    this.writeCallback?.();
    this.writeCallback = undefined;
    this.cleanup();
    this.push(null);
  }

  private fail(error: Error): void {
    if (this.onFail) {
      const reject = this.onFail;
      this.onFail = undefined;
      this.cleanup();
      trackRouteCleanup(this.terminateApi());
      reject(error);
      return;
    }
    this.destroy(error);
  }

  private cleanup(): void {
    if (this.ticker) clearInterval(this.ticker);
    if (this.pinger) clearInterval(this.pinger);
    this.ticker = this.pinger = undefined;
    const ws = this.ws;
    this.ws = undefined;
    this.channel.linkDown();
    if (ws && ws.readyState === WebSocket.OPEN) ws.close(1000);
    else ws?.terminate();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data as ArrayBuffer);
}
