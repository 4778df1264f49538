/**
 * Gathers the calls made in one tick of the event loop into one Redis call (a script, or an XACK of many ids).
 *
 * Under load a worker makes hundreds of small writes per tick (a batch of
 * deliveries starts together, so their claims and their commits come
 * together). One script call per write cost more in ioredis' command
 * bookkeeping and in Redis' per-call dispatch than the writes themselves; one
 * call per tick carries them all. A lone call goes out in the same tick it
 * was made, so nothing waits for company.
 *
 * The flush runs on `process.nextTick`: queued from a promise callback, that
 * is after every promise callback of the tick has run, so writes issued a few
 * `await`s apart still travel together.
 */

interface Waiter<R> {
  resolve(result: R): void;
  reject(err: unknown): void;
}

export class TickBatch<I, R> {
  private items: I[] = [];
  private waiters: Waiter<R>[] = [];

  constructor(
    /** Sends one batch; resolves with one result per item, in order. */
    private readonly send: (items: I[]) => Promise<R[]>,
    /** Most items per call, so one script never holds Redis for long. */
    private readonly max = 256,
  ) {}

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.items.length === 0) process.nextTick(this.flush);
      this.items.push(item);
      this.waiters.push({ resolve, reject });
      if (this.items.length >= this.max) this.flush();
    });
  }

  private readonly flush = (): void => {
    if (this.items.length === 0) return;
    const items = this.items;
    const waiters = this.waiters;
    this.items = [];
    this.waiters = [];
    let sent: Promise<R[]>;
    try {
      sent = this.send(items);
    } catch (err) {
      sent = Promise.reject(err);
    }
    sent.then(
      (results) => {
        for (let i = 0; i < waiters.length; i++) waiters[i].resolve(results[i]);
      },
      (err) => {
        for (const w of waiters) w.reject(err);
      },
    );
  };
}
