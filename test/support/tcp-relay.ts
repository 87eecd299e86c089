import { createServer, connect, type Server, type Socket } from 'node:net';

/** HTTP/2 frames that keep a connection alive without delivering anything to a call. */
const CONNECTION_FRAMES = new Set([0x4 /* SETTINGS */, 0x6 /* PING */, 0x7 /* GOAWAY */, 0x8 /* WINDOW_UPDATE */]);

interface Link {
  client: Socket;
  upstream: Socket;
  upstreamPort: number;
  pending: Buffer;
  held: Buffer[];
}

/**
 * A TCP relay on 127.0.0.1 in front of one or more control replicas, as a Kubernetes Service is:
 * each new connection goes to the first target that accepts it, starting after the last one used.
 * When an upstream dies its client connections are reset, so agents reconnect through the relay.
 *
 * `holdReplies(true)` keeps the control plane's replies (HTTP/2 HEADERS and DATA frames) from
 * reaching the agent while still passing the frames that keep the transport moving (SETTINGS, PING,
 * WINDOW_UPDATE): an upload is received and stored, but its acknowledgement is not delivered.
 */
export class TcpRelay {
  private readonly links = new Set<Link>();
  private next = 0;
  private holding = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private targets: number[],
  ) {}

  static async start(targets: number[]): Promise<TcpRelay> {
    const ready: { relay?: TcpRelay } = {};
    const server = createServer((client) => ready.relay!.accept(client));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve()));
    ready.relay = new TcpRelay(server, (server.address() as { port: number }).port, targets);
    return ready.relay;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  setTargets(targets: number[]): void {
    this.targets = targets;
  }

  /** Upstream ports of the open connections. */
  upstreamPorts(): number[] {
    return [...this.links].map((l) => l.upstreamPort);
  }

  holdReplies(on: boolean): void {
    this.holding = on;
    if (on) return;
    for (const link of this.links) {
      for (const frame of link.held.splice(0)) link.client.write(frame);
    }
  }

  /** Resets every connection (replies still held are lost with them). */
  dropAll(): void {
    for (const link of this.links) this.unlink(link);
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.pause();
    client.on('error', () => undefined);
    const order = this.targets.map((_, i) => this.targets[(this.next + i) % this.targets.length]!);
    const tryConnect = (i: number) => {
      const port = order[i];
      if (port === undefined) return void client.destroy();
      const upstream = connect({ host: '127.0.0.1', port });
      let connected = false;
      upstream.on('error', () => {
        if (!connected) tryConnect(i + 1);
      });
      upstream.once('connect', () => {
        connected = true;
        this.next = (this.targets.indexOf(port) + 1) % Math.max(1, this.targets.length);
        const link: Link = { client, upstream, upstreamPort: port, pending: Buffer.alloc(0), held: [] };
        this.links.add(link);
        client.on('data', (d) => upstream.write(d));
        upstream.on('data', (d) => this.fromUpstream(link, d));
        client.on('close', () => this.unlink(link));
        upstream.on('close', () => this.unlink(link));
        client.resume();
      });
    };
    tryConnect(0);
  }

  private fromUpstream(link: Link, data: Buffer): void {
    // Split into HTTP/2 frames (9-byte header: 24-bit length, type, flags, stream id).
    let buf = Buffer.concat([link.pending, data]);
    while (buf.length >= 9) {
      const size = 9 + buf.readUIntBE(0, 3);
      if (buf.length < size) break;
      const frame = buf.subarray(0, size);
      if (this.holding && !CONNECTION_FRAMES.has(frame[3]!)) link.held.push(Buffer.from(frame));
      else link.client.write(frame);
      buf = buf.subarray(size);
    }
    link.pending = Buffer.from(buf);
  }

  private unlink(link: Link): void {
    if (!this.links.delete(link)) return;
    link.client.destroy();
    link.upstream.destroy();
  }
}
