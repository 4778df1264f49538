/**
 * Leased slots with parked waiters on Redis (`Slots` in core/transport-limits.ts).
 * Every transition is one script (scripts/slots.ts) on server time, so all
 * processes of a namespace agree on who holds what and when a lease lapses.
 */
import type { SlotWaiter, Slots } from '../../core/transport.js';
import { transportError } from './connection.js';
import type { Keys } from './keys.js';
import { SlotReply } from './scripts/codes.js';
import type { ScriptedRedis } from './scripts/index.js';
import { asBuffer } from './store.js';
import { trimSlackOf } from './publisher.js';

export interface SlotSettings {
  commandTimeoutMs: number;
  /** The subject streams' history cap, which a wake message keeps as a publish does (0: unbounded). */
  maxLen: number;
}

/** Most keys one reclaim script visits before the next call goes on, so one call never holds Redis for long. */
const RECLAIM_BATCH = 200;

/** The queue's score: the priority negated (the lowest score is served first), written exactly. */
export function queueScore(priority: number): string {
  if (Number.isNaN(priority)) return '0';
  if (priority === Infinity) return '-inf';
  if (priority === -Infinity) return '+inf';
  return String(-priority);
}

/** Whole milliseconds, at least 1. */
function leaseOf(ms: number): number {
  return Number.isFinite(ms) && ms > 1 ? Math.ceil(ms) : 1;
}

export class RedisSlots implements Slots {
  private readonly trimSlack: number;

  constructor(
    private readonly cmd: ScriptedRedis,
    private readonly keys: Keys,
    private readonly settings: SlotSettings,
  ) {
    this.trimSlack = trimSlackOf(settings.maxLen);
  }

  private fail(what: string, key: string) {
    return (err: unknown): never => {
      throw transportError(err, `slots.${what}(${JSON.stringify(key)})`, this.settings.commandTimeoutMs);
    };
  }

  async acquire(key: string, holder: string, limit: number, leaseMs: number, waiter?: SlotWaiter): Promise<boolean> {
    const k = this.keys.slot(key);
    const args: (string | number | Buffer)[] = [
      k.holders,
      k.queue,
      k.meta,
      this.keys.slotLeases,
      key,
      holder,
      limit,
      leaseOf(leaseMs),
      this.settings.maxLen,
      this.trimSlack,
    ];
    if (waiter) {
      const s = this.keys.subject(waiter.subject);
      args.push(queueScore(waiter.priority), s.stream, s.trimWait, asBuffer(waiter.data));
    }
    const reply = await this.cmd.eventideSlotAcquire(...args).catch(this.fail('acquire', key));
    return reply === SlotReply.held;
  }

  async release(key: string, holder: string): Promise<void> {
    const k = this.keys.slot(key);
    await this.cmd
      .eventideSlotRelease(k.holders, k.queue, k.meta, this.keys.slotLeases, key, holder, this.settings.maxLen, this.trimSlack)
      .catch(this.fail('release', key));
  }

  async renew(key: string, holder: string, leaseMs: number): Promise<boolean> {
    const reply = await this.cmd
      .eventideSlotRenew(this.keys.slot(key).holders, this.keys.slotLeases, key, holder, leaseOf(leaseMs))
      .catch(this.fail('renew', key));
    return reply === SlotReply.held;
  }

  async reclaim(): Promise<number> {
    const p = this.keys.slotPrefixes;
    let freed = 0;
    // Each call leaves every key it visited with no lapsed lease, so the loop ends.
    for (;;) {
      const [n, more] = await this.cmd
        .eventideSlotReclaim(this.keys.slotLeases, p.holders, p.queue, p.meta, this.settings.maxLen, this.trimSlack, RECLAIM_BATCH)
        .catch(this.fail('reclaim', '*'));
      freed += n;
      if (!more) return freed;
    }
  }

  async count(key: string): Promise<{ held: number; waiting: number }> {
    const k = this.keys.slot(key);
    const [held, waiting] = await this.cmd.eventideSlotCount(k.holders, k.queue).catch(this.fail('count', key));
    return { held, waiting };
  }
}
