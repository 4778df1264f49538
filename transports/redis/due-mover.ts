/**
 * A consumer's mover: brings what has become due (the subject's delayed
 * publishes, the group's retries) into the streams the group reads. It
 * sleeps until the next entry is due rather than polling, is woken early by
 * this process's own schedules and by wake messages from other producers,
 * and looks at least every `maxWaitMs` as a safety net. Its one timer is
 * unref'd.
 */
import type { GroupKeys, SubjectKeys } from './keys.js';
import { MoveDue } from './scripts/codes.js';
import type { ScriptedRedis } from './scripts/index.js';

/** Most entries moved per set in one script call, so the script never holds Redis for long. */
const MOVE_BATCH = 200;

export class DueMover {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private at = Infinity;
  private moving = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly cmd: ScriptedRedis,
    private readonly subjectKeys: SubjectKeys,
    private readonly groupKeys: GroupKeys,
    private readonly maxWaitMs: number,
    private readonly report: (err: unknown, what: string) => void,
  ) {}

  /** Something becomes due in `delayMs`: make sure the mover runs by then. */
  wakeIn(delayMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + Math.max(0, delayMs);
    if (at >= this.at) return;
    this.arm(Math.max(0, delayMs));
  }

  private arm(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.at = Date.now() + delayMs;
    // +1: a timer may fire a hair before the server clock reaches the due time.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.at = Infinity;
      void this.move();
    }, delayMs + 1);
    this.timer.unref();
  }

  /** Moves what is due now, then sleeps until the next entry is due (or `maxWaitMs`). */
  async move(): Promise<void> {
    if (this.stopped) return;
    if (this.moving) {
      this.again = true;
      return;
    }
    this.moving = true;
    let next = this.maxWaitMs;
    try {
      const { delayed, stream } = this.subjectKeys;
      const { retryDue, retryStream } = this.groupKeys;
      const wait = await this.cmd.eventideMoveDue(delayed, stream, retryDue, retryStream, MOVE_BATCH);
      if (wait !== MoveDue.nothingWaits) next = Math.min(wait, next);
    } catch (err) {
      this.report(err, 'move due entries');
      next = Math.min(next, 1000);
    } finally {
      this.moving = false;
    }
    if (this.again) {
      this.again = false;
      next = 0;
    }
    if (!this.stopped && Date.now() + next < this.at) this.arm(next);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
