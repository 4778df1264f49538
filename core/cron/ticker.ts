/**
 * @module
 * Cron ticks. Every worker process arms one timer per cron schedule and, when
 * a tick comes due, publishes that tick's event aimed at its function. The
 * event id, the message id and the run id all derive from (function,
 * schedule, tick time), so however many processes publish one tick, the
 * transport's publish dedup keeps one message, and should a copy get past it
 * (a process whose clock lags past the dedup window), creating the run record
 * keeps one run. No claim or lease is needed, so nothing is lost when a
 * process dies at the tick: every other worker publishes it too.
 *
 * Only a tick a running process sees come due is published: ticks that fell
 * while no worker ran are not back-filled. A process starts from the first
 * tick after it starts.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { encodeEnvelope } from '../codec/envelope.js';
import { coerceError } from '../errors.js';
import type { EventideFunction } from '../function.js';
import { runIdFor } from '../ids.js';
import type { Logger } from '../logger.js';
import type { PublishOptions } from '../transport.js';
import type { StoredEvent } from '../types.js';
import type { CronSchedule } from './schedule.js';

/** The name of a tick's event: what `event.name` is in a run a schedule started. */
export const cronEventName = 'eventide/cron';

/** What a tick's event carries. */
export interface CronTick {
  cron: string;
  tz?: string;
}

// setTimeout holds at most about 24.8 days; a longer wait is armed again when that much has passed.
const longestTimer = 2 ** 31 - 1;
const publishRetryMs = 1_000;

export type Publish = (subject: string, data: Uint8Array, options: PublishOptions) => Promise<unknown>;

/** The message of one tick of `fn`'s schedule number `index`, at `at`. */
export function tickMessage(
  fn: Pick<EventideFunction, 'id'>,
  schedule: CronSchedule,
  index: number,
  at: number,
): { bytes: Uint8Array; eventId: string; runId: string } {
  const eventId = `cron_${fn.id}_${index}_${at}`;
  const runId = runIdFor(fn.id, eventId);
  const data: CronTick = { cron: schedule.cron, ...(schedule.tz !== undefined ? { tz: schedule.tz } : {}) };
  const event: StoredEvent = { name: cronEventName, data, id: eventId, ts: at };
  return { bytes: encodeEnvelope({ v: 1, event, target: { functionId: fn.id, runId } }), eventId, runId };
}

export class CronTicker {
  private readonly timers = new Set<TimerHandle>();
  private stopped = false;

  constructor(
    private readonly functions: readonly EventideFunction[],
    private readonly clock: Clock,
    private readonly publish: Publish,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const now = this.clock.now();
    for (const fn of this.functions) fn.crons.forEach((schedule, index) => this.armAfter(fn, schedule, index, now));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  private armAfter(fn: EventideFunction, schedule: CronSchedule, index: number, after: number): void {
    const at = schedule.next(after);
    if (at !== undefined) this.armAt(fn, schedule, index, at);
  }

  private armAt(fn: EventideFunction, schedule: CronSchedule, index: number, at: number): void {
    if (this.stopped) return;
    const timer = this.clock.setTimeout(
      () => {
        this.timers.delete(timer);
        if (this.stopped) return;
        // A timer may fire a little before the clock reads its time (or a long wait was cut): wait the rest.
        if (this.clock.now() < at) return this.armAt(fn, schedule, index, at);
        void this.fire(fn, schedule, index, at);
        this.armAfter(fn, schedule, index, at);
      },
      Math.min(longestTimer, Math.max(0, at - this.clock.now())),
    );
    this.timers.add(timer);
  }

  /** Publishes the tick; while the transport refuses, tries again until the schedule's next tick is due. */
  private async fire(fn: EventideFunction, schedule: CronSchedule, index: number, at: number): Promise<void> {
    const { bytes, eventId } = tickMessage(fn, schedule, index, at);
    try {
      await this.publish('events', bytes, { msgId: eventId, topic: cronEventName });
    } catch (e) {
      if (this.stopped) return;
      const next = schedule.next(at) ?? Infinity;
      const retryAt = this.clock.now() + publishRetryMs;
      this.logger.warn('could not publish a cron tick', {
        functionId: fn.id,
        cron: schedule.cron,
        tick: new Date(at).toISOString(),
        error: coerceError(e).message,
        ...(retryAt < next ? { retryInMs: publishRetryMs } : { givenUp: true }),
      });
      if (retryAt >= next) return;
      const timer = this.clock.setTimeout(() => {
        this.timers.delete(timer);
        if (!this.stopped) void this.fire(fn, schedule, index, at);
      }, publishRetryMs);
      this.timers.add(timer);
    }
  }

  /** The next tick of each schedule of `fn` after `now`, and the earliest of them. */
  static nextTicks(fn: EventideFunction, now: number): { crons: { cron: string; tz?: string; nextTick?: number }[]; nextTick?: number } {
    let earliest: number | undefined;
    const crons = fn.crons.map((s) => {
      const nextTick = s.next(now);
      if (nextTick !== undefined && (earliest === undefined || nextTick < earliest)) earliest = nextTick;
      return { cron: s.cron, ...(s.tz !== undefined ? { tz: s.tz } : {}), ...(nextTick !== undefined ? { nextTick } : {}) };
    });
    return { crons, ...(earliest !== undefined ? { nextTick: earliest } : {}) };
  }
}
