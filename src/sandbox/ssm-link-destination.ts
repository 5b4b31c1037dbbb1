// The agent's TCP side of one sandbox Session Manager session: the connection to the
// session's destination (the instance's sshd for AWS-StartSSHSession), with back-pressure
// both ways and the agent's read pacing (ssm.md §10.1, §18). Separate from the MGS part
// (ssm-link.ts: websocket attach, publication, timeouts, faults, channel_closed) because
// it is the data stream's other end: bytes from sshd become Output messages through the
// agent, Output messages from the client become writes to sshd.
import { connect, type Socket } from 'node:net';
import type { World } from './world.js';
import type { AgentEffect, SsmAgent } from './ssm-agent.js';

export interface Destination {
  host: string;
  port: number;
}

export interface DestinationBridgeOptions {
  world: World;
  agent: SsmAgent;
  destination: () => Destination | undefined;
  apply: (effects: AgentEffect[]) => void; // the link carries out what the agent asks for
  isClosed: () => boolean; // the session is over
  isPaused: () => boolean; // publication towards the client is paused (§12)
  pauseInbound: () => void; // stop reading the client's websocket
  resumeInbound: () => void;
}

const READ_HIGH_WATER = 256 * 1024; // pause reading sshd beyond this many queued bytes

export class DestinationBridge {
  private tcp: Socket | undefined;
  private tcpEnded = false; // the destination sent EOF; end the session once all is delivered
  private pending: Buffer[] = []; // bytes read from the destination, not yet sent
  private pendingBytes = 0;
  private pumping = false;
  inboundPaused = false; // websocket reads stopped until sshd drains

  constructor(private readonly options: DestinationBridgeOptions) {}

  dial(): void {
    const { agent, apply } = this.options;
    const destination = this.options.destination();
    if (!destination) {
      apply(agent.tcpFailed(Date.now(), `Unable to start the port session: the destination is not reachable.`));
      return;
    }
    const socket = connect({ host: destination.host, port: destination.port });
    this.tcp = socket;
    this.tcpEnded = false;
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      if (this.tcp === socket) apply(agent.tcpConnected(Date.now()));
    });
    socket.on('data', (chunk: Buffer) => {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes > READ_HIGH_WATER) socket.pause();
      this.schedulePump();
    });
    socket.on('error', (error) => {
      if (this.tcp !== socket) return;
      this.tcp = undefined;
      if (connected) this.tcpEnded = true;
      else apply(agent.tcpFailed(Date.now(), `Unable to connect to the destination: ${error.message}`));
      this.maybeEndAfterEof();
    });
    socket.on('close', () => {
      if (this.tcp !== socket) return;
      this.tcp = undefined;
      this.tcpEnded = true;
      this.maybeEndAfterEof();
    });
  }

  // The real agent's write blocks while sshd is slow; here the websocket stops being read
  // until the socket drains, so memory stays bounded whatever the client sends.
  write(data: Uint8Array): void {
    const socket = this.tcp;
    if (!socket || socket.write(data) || this.inboundPaused) return;
    this.inboundPaused = true;
    this.options.pauseInbound();
    const resume = () => {
      this.inboundPaused = false;
      this.options.resumeInbound();
    };
    socket.once('drain', resume);
    socket.once('close', resume);
  }

  // DisconnectToPort: close quietly; the agent redials on the next Output.
  drop(): void {
    const socket = this.tcp;
    this.tcp = undefined;
    this.pending = [];
    this.pendingBytes = 0;
    socket?.destroy();
  }

  // The session is over (channel_closed sent): the connection goes and is forgotten.
  close(): void {
    this.tcp?.destroy();
    this.tcp = undefined;
  }

  // Server shutdown: the connection goes.
  destroy(): void {
    this.tcp?.destroy();
  }

  schedulePump(): void {
    if (this.pumping || this.pendingBytes === 0) {
      this.maybeEndAfterEof();
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
      if (this.pendingBytes > 0 && this.options.agent.canSend && !this.options.isClosed() && !this.options.isPaused()) this.schedulePump();
      else this.maybeEndAfterEof();
    });
  }

  // §10.1: on TCP EOF the SSH session ends, once everything read has reached the client.
  private maybeEndAfterEof(): void {
    if (!this.tcpEnded || this.options.isClosed() || this.pendingBytes > 0 || this.options.agent.unacked > 0) return;
    this.options.apply(this.options.agent.tcpClosed(Date.now(), ''));
  }

  // §18: faithful = ≤ 1024-byte reads, one message each, then a 1 ms sleep.
  private async pump(): Promise<void> {
    const { world, agent } = this.options;
    let sinceYield = 0;
    // While publication is paused the agent side is "inactive": it reads nothing more.
    while (this.pendingBytes > 0 && agent.canSend && !this.options.isClosed() && !this.options.isPaused()) {
      const faithful = world.knobs.ssmPacing === 'faithful';
      const size = faithful ? world.knobs.ssmChunkSize : world.knobs.ssmFastChunkSize;
      const piece = this.take(size);
      this.options.apply(agent.sendOutput(piece, Date.now()));
      if (this.pendingBytes <= READ_HIGH_WATER / 2) this.tcp?.resume();
      if (faithful) await new Promise((r) => setTimeout(r, 1));
      else if (++sinceYield >= 16) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
    }
  }

  private take(size: number): Buffer {
    const parts: Buffer[] = [];
    let need = size;
    while (need > 0 && this.pending.length > 0) {
      const head = this.pending[0]!;
      if (head.length <= need) {
        parts.push(head);
        this.pending.shift();
        need -= head.length;
      } else {
        parts.push(head.subarray(0, need));
        this.pending[0] = head.subarray(need);
        need = 0;
      }
    }
    const piece = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.pendingBytes -= piece.length;
    return piece;
  }
}
