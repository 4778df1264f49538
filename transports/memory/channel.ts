/**
 * A broadcast channel of the memory hub: the last `keep` broadcasts in a
 * ring, numbered 1, 2, 3, … so a watcher can resume after a position, and
 * the watchers it hands new ones to. A watch replays and joins in one
 * synchronous step, so nothing falls between the two.
 */
import { Fifo } from '../../core/lib/fifo.js';
import { WatchCursor } from '../../core/lib/watch-cursor.js';
import type { WatchOptions } from '../../core/transport.js';

type Listener = (data: Uint8Array, position: string) => void;

export class Channel {
  private readonly ring = new Fifo<{ position: number; data: Uint8Array }>();
  private readonly listeners = new Set<Listener>();
  private newest = 0;
  private lost = 0;

  constructor(private readonly keep: number) {}

  broadcast(data: Uint8Array): void {
    const position = ++this.newest;
    this.ring.push({ position, data });
    while (this.ring.size > this.keep) this.lost = this.ring.shift()?.position ?? this.lost;
    for (const listener of this.listeners) deliver(listener, data, position);
  }

  /** Replays what `options.after` missed, then hands on every new broadcast; returns where it began and how to stop. */
  watch(listener: Listener, options: WatchOptions | undefined): { position: number; stop: () => void } {
    const cursor = new WatchCursor(options, true);
    cursor.begin(this.newest, this.lost);
    const position = cursor.position;
    for (const { position: p, data } of this.ring) if (cursor.next(p)) deliver(listener, data, p);
    this.listeners.add(listener);
    return { position, stop: () => void this.listeners.delete(listener) };
  }
}

function deliver(listener: Listener, data: Uint8Array, position: number): void {
  try {
    listener(data, String(position));
  } catch {
    // A watcher's failure is its own; broadcasting goes on.
  }
}
