/**
 * A WebSocket client on raw TCP, for tests that must send what a well-behaved client never
 * would (bad targets, lying lengths, invalid UTF-8) or stop reading on purpose.
 */
import net from 'node:net';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** The bytes of an upgrade request for `target`, with extra headers. */
export function upgradeRequest(port: number, target: string, headers: Record<string, string> = {}): string {
  const lines = [`GET ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${KEY}`, 'Sec-WebSocket-Version: 13'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** A client frame (masked, as RFC 6455 requires); `declaredLength` may lie about the payload's size. */
export function clientFrame(opcode: number, payload: Buffer, declaredLength = payload.length): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  let header: Buffer;
  if (declaredLength < 126) header = Buffer.from([0x80 | opcode, 0x80 | declaredLength]);
  else if (declaredLength < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(declaredLength, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(declaredLength), 2);
  }
  const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
  return Buffer.concat([header, mask, masked]);
}

/** A text frame carrying `value` as JSON. */
export function jsonFrame(value: unknown): Buffer {
  return clientFrame(0x1, Buffer.from(JSON.stringify(value)));
}

/** Server frames (unmasked) read off a raw stream; a frame cut short at the end is left out. */
export function serverFrames(data: Buffer): Array<{ opcode: number; payload: Buffer }> {
  const out: Array<{ opcode: number; payload: Buffer }> = [];
  let at = 0;
  while (at + 2 <= data.length) {
    const opcode = (data[at] as number) & 0x0f;
    let len = (data[at + 1] as number) & 0x7f;
    let start = at + 2;
    if (len === 126) {
      if (start + 2 > data.length) break;
      len = data.readUInt16BE(start);
      start += 2;
    } else if (len === 127) {
      if (start + 8 > data.length) break;
      len = Number(data.readBigUInt64BE(start));
      start += 8;
    }
    if (start + len > data.length) break;
    out.push({ opcode, payload: data.subarray(start, start + len) });
    at = start + len;
  }
  return out;
}

/** The close code the server sent, if its close frame is in `received`. */
export function closeCode(received: readonly Buffer[]): number | undefined {
  const close = serverFrames(Buffer.concat(received)).find((f) => f.opcode === 0x8);
  return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
}

export interface RawWebSocket {
  socket: net.Socket;
  /** Everything read after the 101 answer. */
  received: Buffer[];
  /** Settles when the TCP connection closes. */
  closed: Promise<void>;
}

/** Opens /rpc (or `target`) on raw TCP with `headers` (e.g. Authorization); rejects with the answer unless it is 101. */
export async function openRawWebSocket(port: number, headers: Record<string, string>, target = '/rpc', host = '127.0.0.1'): Promise<RawWebSocket> {
  const socket = net.connect(port, host);
  socket.on('error', () => {});
  const received: Buffer[] = [];
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head));
      const rest = Buffer.from(head.slice(end + 4), 'latin1');
      if (rest.length) received.push(rest);
      socket.on('data', (more: Buffer) => received.push(more));
      resolve();
    };
    socket.on('data', onData);
    socket.write(upgradeRequest(port, target, headers));
  });
  return { socket, received, closed };
}
