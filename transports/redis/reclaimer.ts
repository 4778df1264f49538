/**
 * A consumer's reclaimer: every ackWaitMs/4 it takes over deliveries of the
 * group whose lease ran out (XAUTOCLAIM), a dead worker's or a stuck
 * handler's, as many as the consumer has free slots for. Its one timer is
 * unref'd.
 */
import type { GroupKeys, SubjectKeys } from './keys.js';
import type { ScriptedRedis } from './scripts/index.js';
import type { ReclaimedEntry } from './scripts/reclaim.js';

/** What the reclaimer needs from its consumer. */
export interface ReclaimTarget {
  /** Slots free for reclaimed deliveries. */
  free(): number;
  accept(entries: ReclaimedEntry[]): void;
  /** The streams or the group vanished: recreate them. */
  ensureGroups(): Promise<unknown>;
  report(err: unknown, what: string): void;
}

const noop = () => {};

export class Reclaimer {
  private timer: ReturnType<typeof setInterval> | undefined;
  private reclaiming = false;
  private stopped = false;
  /** Where each stream's XAUTOCLAIM scan goes on from. */
  private cursors: [string, string] = ['0-0', '0-0'];

  constructor(
    private readonly cmd: ScriptedRedis,
    private readonly subjectKeys: SubjectKeys,
    private readonly groupKeys: GroupKeys,
    private readonly group: string,
    /** The consumer's name in the group: it takes the entries over. */
    private readonly consumer: string,
    private readonly ackWaitMs: number,
    private readonly target: ReclaimTarget,
  ) {}

  start(): void {
    const every = Math.max(20, Math.floor(this.ackWaitMs / 4));
    this.timer = setInterval(() => void this.reclaim(), every);
    this.timer.unref();
  }

  private async reclaim(): Promise<void> {
    if (this.stopped || this.reclaiming) return;
    const free = this.target.free();
    if (free <= 0) return;
    this.reclaiming = true;
    try {
      const [c1, c2, entries] = await this.cmd.eventideReclaimBuffer(
        this.subjectKeys.stream,
        this.groupKeys.retryStream,
        this.group,
        this.consumer,
        this.ackWaitMs,
        free,
        this.cursors[0],
        this.cursors[1],
      );
      this.cursors = [c1.toString(), c2.toString()];
      this.target.accept(entries);
    } catch (err) {
      if (!this.stopped && String((err as Error).message).includes('NOGROUP')) await this.target.ensureGroups().catch(noop);
      else if (!this.stopped) this.target.report(err, 'reclaim');
    } finally {
      this.reclaiming = false;
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
