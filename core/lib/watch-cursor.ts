/**
 * @module
 * The bookkeeping every transport's resumable watch shares: where the
 * watcher is, which broadcasts it has had, and when it must be told of a
 * gap. Positions here are whole numbers (each transport's positions are
 * decimal counters); the seam hands them out as strings.
 *
 * A transport whose positions are consecutive in a channel (memory, NATS,
 * Redis) also learns of a gap from a jump between two broadcasts it reads,
 * which covers a window trimmed under a watcher that fell behind, or while
 * its connection was down. One whose positions only rise (SQLite, shared by
 * every channel of a file) says what it lost at `begin` instead.
 */
import type { Position, WatchGap, WatchOptions } from '../transport.js';

export class WatchCursor {
  private last: number;
  private readonly resumed: boolean;
  private readonly onGap: ((gap: WatchGap) => void) | undefined;
  private readonly asked: Position | undefined;

  constructor(
    options: WatchOptions | undefined,
    /** True when every position of the channel follows the one before it by one. */
    private readonly consecutive: boolean,
  ) {
    this.onGap = options?.onGap;
    const after = options?.after;
    this.resumed = after !== undefined;
    // A position that is no decimal counter was never one of ours: `begin` reports it unknown.
    this.last = after === undefined ? 0 : /^\d{1,15}$/.test(after) ? Number(after) : Infinity;
    this.asked = after;
  }

  /**
   * Places the cursor against the channel as it is now: `newest`, the newest
   * position it has had (0 if none), and `lost`, the newest it no longer holds
   * (0 if none). A fresh watch starts after `newest`; a resumed one after its
   * own position, or after `lost` once the gap is reported.
   */
  begin(newest: number, lost: number): void {
    if (!this.resumed) {
      this.last = newest;
      return;
    }
    if (this.last > newest) this.gap('unknown', lost);
    else this.behind(lost);
  }

  /** The channel no longer holds what is at or before `lost`: a watcher not yet past it is told of the gap. */
  behind(lost: number): void {
    if (this.last < lost) this.gap('expired', lost);
  }

  /** The position the next read starts after. */
  get position(): number {
    return this.last;
  }

  /** True when the broadcast at `position` is news to the watcher; a jump over missing ones is reported first. */
  next(position: number): boolean {
    if (position <= this.last) return false;
    if (this.consecutive && position > this.last + 1) this.gap('expired', position - 1);
    this.last = position;
    return true;
  }

  private gap(reason: WatchGap['reason'], resumeAfter: number): void {
    const after = Number.isFinite(this.last) ? String(this.last) : (this.asked ?? '');
    this.last = resumeAfter;
    try {
      this.onGap?.({ after, reason });
    } catch {
      // The watcher's failure is its own; the watch goes on.
    }
  }
}
