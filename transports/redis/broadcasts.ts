/**
 * Broadcasts as a capped stream per channel rather than pub/sub: a watcher
 * whose connection drops picks up where it left off when it reconnects, so a
 * `worker: false` process sees every run-state change (within the cap), as
 * BullMQ's QueueEvents does. Each watch reads on its own blocking connection
 * from the last entry id it saw.
 */
import { openSideConnection, type RedisClient } from './connection.js';
import { fieldMap, nextBackoff, type StreamReply } from './streams.js';

const noop = () => {};

export class BroadcastWatch {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly reader: RedisClient;

  constructor(
    cmd: RedisClient,
    private readonly stream: string,
    private readonly listener: (data: Buffer) => void,
    private readonly blockMs: number,
    private readonly onError: (err: unknown) => void,
  ) {
    // Named after its stream, so an operator (or a test) can tell whose it is in CLIENT LIST.
    this.reader = openSideConnection(cmd, `eventide:watch:${stream.replace(/[^\x21-\x7e]/g, '_')}`, blockMs);
  }

  /** Resolves once the position is taken: every entry added afterwards reaches the listener. */
  async start(): Promise<void> {
    await this.reader.connect();
    const last = await this.reader.xrevrange(this.stream, '+', '-', 'COUNT', 1);
    this.loop = this.read(last[0]?.[0] ?? '0-0');
  }

  private async read(from: string): Promise<void> {
    let after = from;
    let backoff = 0;
    while (!this.stopped) {
      let reply: StreamReply;
      try {
        reply = await this.reader.xreadBuffer('BLOCK', this.blockMs, 'STREAMS', this.stream, after);
        backoff = 0;
      } catch (err) {
        if (this.stopped) return;
        this.onError(err);
        await new Promise((r) => setTimeout(r, (backoff = nextBackoff(backoff))));
        continue;
      }
      if (!reply || this.stopped) continue;
      for (const [id, fields] of reply[0][1]) {
        after = id.toString();
        const data = fieldMap(fields).d ?? Buffer.alloc(0);
        try {
          this.listener(data);
        } catch {
          // A listener's failure is its own; the stream goes on.
        }
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Dropping the connection ends a pending XREAD at once (a QUIT would wait behind it until its BLOCK ran out).
    this.reader.disconnect();
    await this.loop?.catch(noop);
  }
}
