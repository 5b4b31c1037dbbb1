// One accepted EICE tunnel: raw bytes between BINARY frames and a TCP connection to
// the instance's sshd (eice.md §6.3), with the close semantics of §6.4: 1000 when the
// target closes, a 4000-range code with a reason when the target cannot be reached or
// maxTunnelDuration expires, 1003 for a TEXT frame. Empty frames are tolerated.
// Knobs (world.eiceKnobs) drop or close the tunnel early and choose frame sizes.
import { connect, type Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { SandboxInstance, TunnelRecord, World } from './world.js';

export function pipeTunnel(world: World, ws: WebSocket, socket: Socket, record: TunnelRecord, instance: SandboxInstance | undefined): void {
  const knobs = world.eiceKnobs;
  const timers: NodeJS.Timeout[] = [];
  let target: Socket | undefined;
  let finished = false;
  const finish = (code: number | 'dropped', reason: string, by: 'client' | 'server') => {
    if (finished) return;
    finished = true;
    record.open = false;
    record.closeCode = code === 'dropped' ? undefined : code;
    record.closeReason = code === 'dropped' ? 'dropped' : reason;
    record.closedBy = by;
    for (const t of timers) clearTimeout(t);
    if (code === 'dropped') {
      socket.destroy();
      ws.terminate();
    } else if (by === 'server' && ws.readyState === ws.OPEN) {
      ws.close(code, reason);
    }
    if (code === 1000 && target && by === 'client') target.end();
    else target?.destroy();
  };
  ws.on('close', (code, reason) => finish(code, reason.toString('utf8'), 'client'));
  ws.on('error', () => finish(1002, 'protocol error', 'server'));

  const unreachable = (why: string) => finish(knobs.unreachableCloseCode, `Unable to connect to ${record.privateIpAddress}:${record.remotePort}: ${why}`, 'server');
  if (!instance || instance.state !== 'running') return unreachable('no route to host');
  // The instance's security group does not admit the endpoint (§8.1): the SYN is dropped.
  if (knobs.blockedInstances.has(instance.instanceId)) return unreachable('connection timed out');
  // Port 22 is the instance's sshd; nothing else listens (3389 is refused on Linux).
  const port = record.remotePort === 22 ? instance.sshPort : 3389;
  if (record.remotePort !== 22) return unreachable('connection refused');

  const duration = record.maxTunnelDuration ?? 3600;
  timers.push(setTimeout(() => finish(knobs.durationCloseCode, 'Tunnel duration exceeded', 'server'), duration * 1000));
  if (knobs.closeAfterSeconds !== undefined) {
    timers.push(setTimeout(() => finish(4002, 'Tunnel closed by the sandbox (closeAfterSeconds knob)', 'server'), knobs.closeAfterSeconds * 1000));
  }
  const countAndMaybeDrop = () => {
    if (knobs.dropAfterBytes !== undefined && record.bytesIn + record.bytesOut >= knobs.dropAfterBytes) finish('dropped', 'dropped', 'server');
  };

  const pending: Buffer[] = [];
  target = connect({ host: instance.hostAddress, port, noDelay: true });
  target.on('connect', () => {
    for (const chunk of pending.splice(0)) target!.write(chunk);
  });
  target.on('error', (error: NodeJS.ErrnoException) => unreachable(error.code === 'ECONNREFUSED' ? 'connection refused' : (error.code ?? 'error')));
  target.on('end', () => finish(1000, '', 'server'));
  target.on('data', (chunk: Buffer) => {
    if (knobs.textFrameNext) {
      knobs.textFrameNext = false;
      ws.send(chunk.toString('latin1'), { binary: false });
      return;
    }
    const size = knobs.serverFrameBytes ?? chunk.length;
    for (let at = 0; at < chunk.length && !finished; at += size) {
      const frame = chunk.subarray(at, at + size);
      record.bytesOut += frame.length;
      ws.send(frame, { binary: true });
    }
    // Backpressure: stop reading sshd while the websocket's socket is full.
    if (socket.writableNeedDrain) {
      target!.pause();
      socket.once('drain', () => target?.resume());
    }
    countAndMaybeDrop();
  });

  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) {
      record.textFramesIn++;
      return finish(1003, 'Text frames are not supported', 'server');
    }
    record.framesIn++;
    record.bytesIn += data.length;
    record.maxFrameIn = Math.max(record.maxFrameIn, data.length);
    if (data.length === 0) {
      record.emptyFramesIn++;
      return;
    }
    if (target!.connecting) pending.push(data);
    else if (!target!.write(data)) {
      ws.pause();
      target!.once('drain', () => ws.resume());
    }
    countAndMaybeDrop();
  });
}
