// SOCKS5 (RFC 1928) as the -D dynamic forwarder speaks it: no authentication
// (method 0x00, §3), the CONNECT command (§4), IPv4, domain name and IPv6 addresses
// (§5), and replies (§6). Pure functions over bytes, so the wire format is tested
// with byte fixtures (socks5.test.ts); forward.ts does the I/O.

export const SOCKS_VERSION = 0x05;
export const METHOD_NO_AUTH = 0x00;
export const METHOD_NONE_ACCEPTABLE = 0xff;
export const COMMAND_CONNECT = 0x01;
export const ATYP_IPV4 = 0x01;
export const ATYP_DOMAIN = 0x03;
export const ATYP_IPV6 = 0x04;

// §6 REP values.
export const REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

export type ParseResult<T> =
  | { status: 'incomplete' }
  | { status: 'ok'; value: T; rest: Buffer }
  // `reply`: bytes to send before closing (none when the peer is not speaking SOCKS5).
  | { status: 'error'; reason: string; reply?: Buffer };

export interface Greeting {
  methods: number[];
}

export interface ConnectRequest {
  addressType: 'ipv4' | 'domain' | 'ipv6';
  host: string;
  port: number;
}

// §3: VER NMETHODS METHODS...
export function parseGreeting(data: Buffer): ParseResult<Greeting> {
  if (data.length < 1) return { status: 'incomplete' };
  if (data[0] !== SOCKS_VERSION) {
    return { status: 'error', reason: data[0] === 0x04 ? 'SOCKS4 is not supported, only SOCKS5' : `not a SOCKS5 client (version byte 0x${hex(data[0])})` };
  }
  if (data.length < 2) return { status: 'incomplete' };
  const count = data[1];
  if (data.length < 2 + count) return { status: 'incomplete' };
  const methods = [...data.subarray(2, 2 + count)];
  return { status: 'ok', value: { methods }, rest: data.subarray(2 + count) };
}

// The method selection message: no authentication, or "no acceptable methods".
export function methodSelection(greeting: Greeting): Buffer {
  return Buffer.from([SOCKS_VERSION, greeting.methods.includes(METHOD_NO_AUTH) ? METHOD_NO_AUTH : METHOD_NONE_ACCEPTABLE]);
}

// §4: VER CMD RSV ATYP DST.ADDR DST.PORT
export function parseRequest(data: Buffer): ParseResult<ConnectRequest> {
  if (data.length < 4) return { status: 'incomplete' };
  if (data[0] !== SOCKS_VERSION) return { status: 'error', reason: `bad request version 0x${hex(data[0])}` };
  const command = data[1];
  const atyp = data[3];
  let offset = 4;
  let host: string;
  let addressType: ConnectRequest['addressType'];
  if (atyp === ATYP_IPV4) {
    if (data.length < offset + 4 + 2) return { status: 'incomplete' };
    host = [...data.subarray(offset, offset + 4)].join('.');
    addressType = 'ipv4';
    offset += 4;
  } else if (atyp === ATYP_DOMAIN) {
    if (data.length < offset + 1) return { status: 'incomplete' };
    const length = data[offset];
    if (data.length < offset + 1 + length + 2) return { status: 'incomplete' };
    if (length === 0) return { status: 'error', reason: 'empty domain name', reply: encodeReply(REPLY.hostUnreachable) };
    host = data.subarray(offset + 1, offset + 1 + length).toString('latin1');
    addressType = 'domain';
    offset += 1 + length;
  } else if (atyp === ATYP_IPV6) {
    if (data.length < offset + 16 + 2) return { status: 'incomplete' };
    host = formatIpv6(data.subarray(offset, offset + 16));
    addressType = 'ipv6';
    offset += 16;
  } else {
    return { status: 'error', reason: `address type 0x${hex(atyp)} is not supported`, reply: encodeReply(REPLY.addressTypeNotSupported) };
  }
  const port = data.readUInt16BE(offset);
  offset += 2;
  if (command !== COMMAND_CONNECT) {
    return { status: 'error', reason: `SOCKS command 0x${hex(command)} is not supported (only CONNECT)`, reply: encodeReply(REPLY.commandNotSupported) };
  }
  return { status: 'ok', value: { addressType, host, port }, rest: data.subarray(offset) };
}

// §6: VER REP RSV ATYP BND.ADDR BND.PORT. The bound address is not known through an
// SSH channel, so it is 0.0.0.0:0, as OpenSSH's own -D answers.
export function encodeReply(reply: number): Buffer {
  return Buffer.from([SOCKS_VERSION, reply, 0x00, ATYP_IPV4, 0, 0, 0, 0, 0, 0]);
}

// Eight groups of hexadecimal, with the longest run of zero groups (two or more)
// compressed to '::' (RFC 5952 §4.2).
export function formatIpv6(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = groups.map((g) => g.toString(16));
  if (bestStart < 0) return text.join(':');
  return `${text.slice(0, bestStart).join(':')}::${text.slice(bestStart + bestLength).join(':')}`;
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
