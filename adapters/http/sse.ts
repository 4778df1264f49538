/**
 * @module
 * Run-state changes as Server-Sent Events. Each stream is a `runtime.watch`
 * of its own, and each change's `id:` is its position on the transport, so a
 * client that reconnects with `Last-Event-ID` resumes where it left off from
 * the transport's window: after a dropped connection, from another server
 * process, or after this one restarted. A position the window no longer
 * holds (or never had: another namespace or server) gets `event: reset`
 * first, and the client should reload what it shows; what the window still
 * holds follows.
 *
 * Wire format, per stream:
 *   retry: 2000
 *   id: <position>  event: hello  data: {"lastEventId":"<position>"}  (first, unless resuming)
 *   id: <position>  event: reset  data: {"lastEventId":"<position>","reason":"expired"|"unknown"}  (a gap)
 *   id: <position>  event: run    data: <RunStateChange as JSON>      (each change)
 *   : ping                                                            (heartbeat)
 */
import type { Position, WatchGap, WatchOptions, Watching } from '../../core/transport.js';
import type { RunStateChange } from '../../core/types.js';
import type { StreamSink } from './types.js';

export type WatchRuns = (listener: (change: RunStateChange, position: Position) => void, options?: WatchOptions) => Promise<Watching>;

export interface RunStreamOptions {
  heartbeatMs: number;
  maxStreams: number;
  /** Told when a stream's watch could not start (the client is ended and reconnects). */
  onError: (e: unknown) => void;
}

interface Client {
  sink: StreamSink;
  stop?: () => unknown;
  closed: boolean;
}

const frame = (id: Position | undefined, event: string, data: unknown) =>
  `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export class RunStream {
  private readonly clients = new Set<Client>();
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly watch: WatchRuns,
    private readonly options: RunStreamOptions,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  get full(): boolean {
    return this.clients.size >= this.options.maxStreams;
  }

  /** Attaches a client: counts at once, writes once its watch is placed (resumed after `lastEventId` when given). */
  attach(sink: StreamSink, signal: AbortSignal, lastEventId: string | undefined): void {
    if (this.closed) {
      sink.end();
      return;
    }
    const client: Client = { sink, closed: false };
    this.clients.add(client);
    signal.addEventListener('abort', () => this.detach(client), { once: true });
    if (signal.aborted) return this.detach(client);
    this.send(client, 'retry: 2000\n\n');
    this.heartbeat ??= setInterval(() => {
      for (const c of this.clients) this.send(c, ': ping\n\n');
    }, this.options.heartbeatMs);
    this.heartbeat.unref?.();
    void this.start(client, lastEventId?.trim() || undefined);
  }

  private async start(client: Client, after: Position | undefined): Promise<void> {
    // Until the watch is placed, what it hands on waits here, behind the frame that says where the stream begins.
    let held: string[] | undefined = [];
    let gap: WatchGap | undefined;
    const write = (chunk: string) => (held ? held.push(chunk) : this.send(client, chunk));
    const onGap = (g: WatchGap) => {
      if (held) gap = g;
      else write(frame(undefined, 'reset', { reason: g.reason }));
    };
    let w: Watching;
    try {
      w = await this.watch((change, position) => write(frame(position, 'run', change)), after === undefined ? undefined : { after, onGap });
    } catch (e) {
      this.options.onError(e);
      this.end(client);
      return;
    }
    if (client.closed) {
      void Promise.resolve(w()).catch(() => undefined);
      return;
    }
    client.stop = w;
    const head =
      after === undefined
        ? frame(w.position, 'hello', { lastEventId: w.position })
        : gap
          ? frame(w.position, 'reset', { lastEventId: w.position, reason: gap.reason })
          : '';
    const chunk = head + held.join('');
    held = undefined;
    if (chunk) this.send(client, chunk);
  }

  private send(client: Client, chunk: string): void {
    if (client.closed) return;
    try {
      client.sink.write(chunk);
    } catch {
      this.detach(client);
    }
  }

  private detach(client: Client): void {
    if (client.closed) return;
    client.closed = true;
    this.clients.delete(client);
    if (client.stop) void Promise.resolve(client.stop()).catch(() => undefined);
    if (this.clients.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  private end(client: Client): void {
    this.detach(client);
    try {
      client.sink.end();
    } catch {
      // the client is gone already
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of [...this.clients]) this.end(c);
  }
}
