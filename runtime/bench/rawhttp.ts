// A minimal keep-alive HTTP/1.1 client over one TCP socket, so that the benchmark measures the server, not a client library.
import net from "node:net";

export class RawHttpClient {
  private buffer: Buffer = Buffer.alloc(0);
  private pending: ((r: { status: number; body: Buffer }) => void) | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.tryParse();
    });
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RawHttpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new RawHttpClient(socket)));
      socket.once("error", reject);
    });
  }

  /** Sends one request (pre-built bytes) and resolves with the status and body. */
  request(bytes: Buffer): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve) => {
      this.pending = resolve;
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private tryParse(): void {
    const end = this.buffer.indexOf("\r\n\r\n");
    if (end < 0 || this.pending === null) return;
    const head = this.buffer.subarray(0, end).toString("latin1");
    const status = Number(head.slice(9, 12));
    const m = /content-length:\s*(\d+)/i.exec(head);
    const length = m === null ? 0 : Number(m[1]);
    if (this.buffer.length < end + 4 + length) return;
    const body = this.buffer.subarray(end + 4, end + 4 + length);
    this.buffer = this.buffer.subarray(end + 4 + length);
    const done = this.pending;
    this.pending = null;
    done({ status, body });
  }
}

export function buildPost(path: string, json: string, host = "127.0.0.1"): Buffer {
  const body = Buffer.from(json);
  return Buffer.concat([
    Buffer.from(`POST ${path} HTTP/1.1\r\nhost: ${host}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`),
    body,
  ]);
}
