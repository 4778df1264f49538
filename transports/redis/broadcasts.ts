/**
 * Broadcasts as a capped stream per channel rather than pub/sub, so a watch
 * can resume after a position: what it missed is replayed from the stream,
 * as BullMQ's QueueEvents does. Entries get the ids 0-1, 0-2, 0-3, …
 * (`XADD … 0-*`), so a position is the counter after `0-`, and a jump
 * between two entries read is a gap the watcher is told of (the stream was
 * trimmed past it). Each watch reads on its own blocking connection from the
 * last entry it saw, also across a dropped connection.
 */
import { WatchCursor } from '../../core/lib/watch-cursor.js';
import type { WatchOptions } from '../../core/transport.js';
import { openSideConnection, type RedisClient } from './connection.js';
import { fieldMap, nextBackoff, type StreamReply } from './streams.js';

const noop = () => {};

/** The counter of an entry id `0-<n>`. */
export function positionOf(id: string | Buffer): number {
  const s = id.toString();
  return Number(s.slice(s.indexOf('-') + 1));
}

export class BroadcastWatch {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly reader: RedisClient;
  private readonly cursor: WatchCursor;

  constructor(
    cmd: RedisClient,
    private readonly stream: string,
    private readonly listener: (data: Buffer, position: string) => void,
    private readonly blockMs: number,
    private readonly onError: (err: unknown) => void,
    options: WatchOptions | undefined,
  ) {
    // Named after its stream, so an operator (or a test) can tell whose it is in CLIENT LIST.
    this.reader = openSideConnection(cmd, `eventide:watch:${stream.replace(/[^\x21-\x7e]/g, '_')}`, blockMs);
    this.cursor = new WatchCursor(options, true);
  }

  /** Resolves with where the watch begins, once it is placed: every entry added afterwards reaches the listener. */
  async start(): Promise<number> {
    await this.reader.connect();
    const [newest, oldest] = await Promise.all([
      this.reader.xrevrange(this.stream, '+', '-', 'COUNT', 1),
      this.reader.xrange(this.stream, '-', '+', 'COUNT', 1),
    ]);
    const last = newest[0] ? positionOf(newest[0][0]) : 0;
    this.cursor.begin(last, oldest[0] ? positionOf(oldest[0][0]) - 1 : last);
    const position = this.cursor.position;
    this.loop = this.read();
    return position;
  }

  private async read(): Promise<void> {
    let backoff = 0;
    while (!this.stopped) {
      let reply: StreamReply;
      try {
        reply = await this.reader.xreadBuffer('COUNT', 1000, 'BLOCK', this.blockMs, 'STREAMS', this.stream, `0-${this.cursor.position}`);
        backoff = 0;
      } catch (err) {
        if (this.stopped) return;
        this.onError(err);
        await new Promise((r) => setTimeout(r, (backoff = nextBackoff(backoff))));
        continue;
      }
      if (!reply || this.stopped) continue;
      for (const [id, fields] of reply[0][1]) {
        const position = positionOf(id);
        if (!this.cursor.next(position)) continue;
        try {
          this.listener(fieldMap(fields).d ?? Buffer.alloc(0), String(position));
        } catch {
          // A listener's failure is its own; the stream goes on.
        }
        if (this.stopped) return;
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
