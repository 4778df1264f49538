/**
 * @module
 * Run-state changes as Server-Sent Events. One subscription to
 * `runtime.on('run')` per handler numbers every change (1, 2, 3, …) and keeps
 * the last `bufferSize` in a ring, so a client that reconnects with
 * `Last-Event-ID: n` gets every change after n without a gap. When n has
 * already left the ring (or belongs to an earlier handler: n is ahead of the
 * counter), the client gets `event: reset` and should reload what it shows.
 *
 * Wire format, per stream:
 *   retry: 2000
 *   id: <current>  event: hello  data: {"lastEventId":<current>}   (first)
 *   id: <n>        event: run    data: <RunStateChange as JSON>    (each change)
 *   event: reset   data: {"lastEventId":<current>}                  (gap on resume)
 *   : ping                                                          (heartbeat)
 */
import type { RunStateChange } from '../../core/types.js';
import type { StreamSink } from './types.js';

export interface RunStreamOptions {
  bufferSize: number;
  heartbeatMs: number;
  maxStreams: number;
}

interface Entry {
  id: number;
  frame: string;
}

export class RunStream {
  private counter = 0;
  private readonly ring: (Entry | undefined)[];
  private readonly clients = new Set<StreamSink>();
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    subscribe: (listener: (change: RunStateChange) => void) => () => void,
    private readonly options: RunStreamOptions,
  ) {
    this.ring = new Array<Entry | undefined>(options.bufferSize);
    this.unsubscribe = subscribe((change) => this.publish(change));
  }

  private readonly unsubscribe: () => void;

  get size(): number {
    return this.clients.size;
  }

  get full(): boolean {
    return this.clients.size >= this.options.maxStreams;
  }

  private publish(change: RunStateChange): void {
    const id = ++this.counter;
    const frame = `id: ${id}\nevent: run\ndata: ${JSON.stringify(change)}\n\n`;
    this.ring[id % this.ring.length] = { id, frame };
    for (const client of this.clients) this.send(client, frame);
  }

  private send(client: StreamSink, chunk: string): void {
    try {
      client.write(chunk);
    } catch {
      this.detach(client);
    }
  }

  /** The frames after `lastEventId`, or `undefined` when some of them are gone. */
  private since(lastEventId: number): string[] | undefined {
    if (lastEventId > this.counter) return undefined;
    const oldest = Math.max(1, this.counter - this.ring.length + 1);
    if (lastEventId < oldest - 1) return undefined;
    const out: string[] = [];
    for (let id = lastEventId + 1; id <= this.counter; id++) {
      const e = this.ring[id % this.ring.length];
      if (!e || e.id !== id) return undefined;
      out.push(e.frame);
    }
    return out;
  }

  /** Attaches a client; replays from `lastEventId` when given. Synchronous, so no change can slip between replay and live. */
  attach(sink: StreamSink, signal: AbortSignal, lastEventId: string | undefined): void {
    if (this.closed) {
      sink.end();
      return;
    }
    const current = this.counter;
    let head = `retry: 2000\n\n`;
    const resumeFrom = lastEventId !== undefined && /^\d+$/.test(lastEventId.trim()) ? Number(lastEventId.trim()) : undefined;
    if (resumeFrom === undefined) head += `id: ${current}\nevent: hello\ndata: ${JSON.stringify({ lastEventId: current })}\n\n`;
    else {
      const missed = this.since(resumeFrom);
      if (missed) head += missed.join('');
      else head += `id: ${current}\nevent: reset\ndata: ${JSON.stringify({ lastEventId: current })}\n\n`;
    }
    sink.write(head);
    if (signal.aborted) return;
    this.clients.add(sink);
    signal.addEventListener('abort', () => this.detach(sink), { once: true });
    this.heartbeat ??= setInterval(() => {
      for (const c of this.clients) this.send(c, ': ping\n\n');
    }, this.options.heartbeatMs);
    this.heartbeat.unref?.();
  }

  private detach(sink: StreamSink): void {
    this.clients.delete(sink);
    if (this.clients.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const c of [...this.clients]) {
      this.detach(c);
      try {
        c.end();
      } catch {
        // the client is gone already
      }
    }
  }
}
