/**
 * @module
 * Process-wide run slots: `concurrency` caps the runs executing in this
 * process across all its functions. Each function's consumer may hold as
 * many deliveries as there are slots; the ones waiting for a slot are signed
 * alive with the running ones, so their ack wait does not hand them to
 * another worker while they queue here.
 */
import { Fifo } from './lib/fifo.js';
import type { Delivery } from './transport.js';

interface Waiter {
  delivery: Delivery;
  wake: (granted: boolean) => void;
}

export class Slots {
  private free: number;
  private readonly queue = new Fifo<Waiter>();
  private closed = false;

  constructor(size: number) {
    this.free = size;
  }

  /** `true` at once when a slot is free (no promise on the hot path); else a promise of a slot, or `false` once closed. */
  acquire(delivery: Delivery): true | Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.free > 0) {
      this.free--;
      return true;
    }
    return new Promise<boolean>((wake) => this.queue.push({ delivery, wake }));
  }

  release(): void {
    const next = this.queue.shift();
    if (next) next.wake(true);
    else this.free++;
  }

  waiting(): Iterable<Delivery> {
    const out: Delivery[] = [];
    for (const w of this.queue) out.push(w.delivery);
    return out;
  }

  /** Stop granting: the waiting deliveries are left unsettled for the transport to hand back. */
  close(): void {
    this.closed = true;
    for (let w = this.queue.shift(); w; w = this.queue.shift()) w.wake(false);
  }
}
