// The framing and close semantics of eice.md §6.3/§6.4, observed at a real `ws`
// server: frame sizes on the wire, no empty frame, local EOF = CLOSE 1000, and what
// each way of ending becomes on the Duplex.
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { EicError } from '../errors.js';
import { MAX_FRAME_BYTES, wsDuplex } from './ws-duplex.js';

let server: WebSocketServer | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

interface Peer {
  frames: Array<{ size: number; binary: boolean }>;
  closed: Promise<{ code: number; reason: string }>;
  ws: WebSocket;
}

async function connected(): Promise<{ sock: Duplex; peer: Peer }> {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
  const peerReady = new Promise<Peer>((resolve) => {
    server!.once('connection', (ws) => {
      const frames: Peer['frames'] = [];
      ws.on('message', (data: Buffer, binary) => frames.push({ size: data.length, binary }));
      const closed = new Promise<{ code: number; reason: string }>((done) => ws.once('close', (code, reason) => done({ code, reason: reason.toString() })));
      resolve({ frames, closed, ws });
    });
  });
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, { perMessageDeflate: false });
  await new Promise((resolve) => client.once('open', resolve));
  return { sock: wsDuplex(client, { peer: 'the test endpoint', closeHint: 'a hint' }), peer: await peerReady };
}

function outcome(sock: Duplex): Promise<{ data: Buffer; error?: Error }> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.once('end', () => resolve({ data: Buffer.concat(chunks) }));
    sock.once('error', (error) => resolve({ data: Buffer.concat(chunks), error }));
  });
}

describe('wsDuplex', () => {
  it('splits a write into BINARY frames of at most 65,000 bytes, sends no empty frame, and ends with CLOSE 1000', async () => {
    const { sock, peer } = await connected();
    sock.write(Buffer.alloc(0));
    sock.write(Buffer.alloc(200_000, 7));
    sock.write(Buffer.alloc(10, 1));
    sock.end();
    const closed = await peer.closed;
    expect(peer.frames).toEqual([
      { size: MAX_FRAME_BYTES, binary: true },
      { size: MAX_FRAME_BYTES, binary: true },
      { size: MAX_FRAME_BYTES, binary: true },
      { size: 5_000, binary: true },
      { size: 10, binary: true },
    ]);
    expect(closed.code).toBe(1000);
  });

  it('joins server frames of any size into the stream and ends cleanly on CLOSE 1000', async () => {
    const { sock, peer } = await connected();
    const result = outcome(sock);
    peer.ws.send(Buffer.from('abc'));
    peer.ws.send(Buffer.alloc(300_000, 2));
    peer.ws.close(1000);
    const { data, error } = await result;
    expect(error).toBeUndefined();
    expect(data.length).toBe(300_003);
    expect(data.subarray(0, 3).toString()).toBe('abc');
  });

  it('turns another close code into an EicError carrying the reason and the hint', async () => {
    const { sock, peer } = await connected();
    const result = outcome(sock);
    peer.ws.close(4001, 'Unable to connect to 10.0.0.5:22');
    const { error } = await result;
    expect(error).toBeInstanceOf(EicError);
    expect((error as EicError).code).toBe('EICE_CLOSED');
    expect(error!.message).toBe('the test endpoint closed the tunnel: Unable to connect to 10.0.0.5:22 (code 4001)');
    expect((error as EicError).hint).toBe('a hint');
  });

  it('treats a TEXT frame as a protocol error and closes with 1003', async () => {
    const { sock, peer } = await connected();
    const result = outcome(sock);
    peer.ws.send('hello', { binary: false });
    const { error } = await result;
    expect((error as EicError).code).toBe('EICE_PROTOCOL');
    expect((await peer.closed).code).toBe(1003);
  });

  it('says "tunnel connection lost" when the connection drops without CLOSE', async () => {
    const { sock, peer } = await connected();
    const result = outcome(sock);
    peer.ws.terminate();
    const { error } = await result;
    expect(error!.message).toMatch(/^tunnel connection lost/);
  });

  it('hands an early failure to an error listener added later', async () => {
    const { sock, peer } = await connected();
    peer.ws.close(4002, 'early');
    await vi.waitFor(() => expect(sock.destroyed).toBe(true));
    const error = await new Promise<Error>((resolve) => sock.on('error', resolve));
    expect(error.message).toMatch(/early \(code 4002\)/);
  });
});
