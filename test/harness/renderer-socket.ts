/** The renderer's WebSocket contract (/rpc) from a test, as a browser tab would use it. */
import WebSocket from 'ws';
import type { HostEvent } from '../../sdk/contract.js';
import type { ReefProcess } from './reef-process.js';

/** The renderer's WebSocket contract, as a browser tab would use it. */
export class RendererSocket {
  private next = 1;
  private readonly pending = new Map<number, (frame: { result?: unknown; error?: { code: string; message: string } }) => void>();
  readonly events: HostEvent[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { code: string; message: string }; event?: HostEvent };
      if (frame.event) this.events.push(frame.event);
      else if (frame.id !== undefined) this.pending.get(frame.id)?.(frame);
    });
  }
  static open(reef: ReefProcess): Promise<RendererSocket> {
    const ws = new WebSocket(`${reef.origin.replace('http', 'ws')}/rpc`, { headers: { authorization: `Bearer ${reef.token}` } });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RendererSocket(ws)));
      ws.once('error', reject);
    });
  }
  call<T>(method: string, params: unknown): Promise<T> {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) =>
      this.pending.set(id, (f) => (f.error ? reject(new Error(`${f.error.code}: ${f.error.message}`)) : resolve(f.result as T))),
    );
  }
  async bus<T>(subject: string, body: unknown = {}): Promise<T> {
    return (await this.call<{ body: T }>('busRequest', { subject, body })).body;
  }
  close(): void {
    this.ws.close();
  }
}
