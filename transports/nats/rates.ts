/**
 * `Rates` on the limits bucket: one KV key per schedule (`rate.<k>`, see
 * ./limits-bucket.ts) holding its theoretical arrival time (GCRA, as the
 * seam describes), moved on by compare-and-set and tried again from a fresh
 * read when another process booked first. Times come from this process's
 * clock; the processes of a namespace are assumed to agree on it to well
 * within an interval.
 */
import type { Rates } from '../../core/transport.js';
import { ATTEMPTS, backoff, contended, keyToken, PerKey, type LimitsBucket } from './limits-bucket.js';

const text = new TextDecoder();
/** Bookings by this process between two sweeps of schedules gone idle. */
const SWEEP_EVERY = 1_000;

export class NatsRates implements Rates {
  private readonly serial = new PerKey();
  private booked = 0;
  private sweeping = false;

  constructor(
    private readonly bucket: LimitsBucket,
    private readonly now: () => number = Date.now,
  ) {}

  async reserve(key: string, limit: number, periodMs: number, burst: number): Promise<number> {
    return (await this.book(key, limit, periodMs, burst, false)) as number;
  }

  async take(key: string, limit: number, periodMs: number, burst: number): Promise<boolean> {
    return (await this.book(key, limit, periodMs, burst, true)) !== undefined;
  }

  /** Books the next start and answers its delay; with `refuse`, a start that would wait is not booked (undefined). */
  private book(key: string, limit: number, periodMs: number, burst: number, refuse: boolean): Promise<number | undefined> {
    const name = `rate.${keyToken(key)}`;
    const interval = periodMs / limit;
    return this.serial.run(name, async () => {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const read = await this.bucket.read(name);
        const now = this.now();
        const stored = read.value && read.value.length > 0 ? Number(text.decode(read.value)) : now;
        const tat = Math.max(stored, now);
        const start = tat - burst * interval;
        if (refuse && start > now) return undefined;
        if ((await this.bucket.write(name, String(tat + interval), read.revision)) !== undefined) {
          if (++this.booked % SWEEP_EVERY === 0) void this.sweep();
          return Math.max(0, Math.ceil(start - now));
        }
        await backoff(attempt);
      }
      throw contended(`booking a start of "${key}"`);
    });
  }

  /**
   * Forgets schedules whose TAT is past, so keys used once do not pile up in
   * the bucket. A past TAT books exactly as no TAT does, and the purge stops
   * at the revision listed: a booking made since survives, and one racing
   * against the purged revision loses its compare-and-set and reads again.
   */
  sweep(): Promise<number> {
    if (this.sweeping) return Promise.resolve(0);
    this.sweeping = true;
    return (async () => {
      let forgotten = 0;
      for (const e of await this.bucket.latestUnder('rate.')) {
        if (Number(text.decode(e.value)) > this.now()) continue;
        await this.bucket.purgeUpTo(e.key, e.revision);
        forgotten++;
      }
      return forgotten;
    })()
      .catch(() => 0)
      .finally(() => (this.sweeping = false));
  }
}
