/**
 * Start schedules per key on Redis (`Rates` in core/transport-limits.ts):
 * GCRA in one script per call (scripts/rates.ts), on server time, so every
 * process books from the same schedule.
 */
import type { Rates } from '../../core/transport.js';
import { transportError } from './connection.js';
import type { Keys } from './keys.js';
import { RateReply } from './scripts/codes.js';
import type { ScriptedRedis } from './scripts/index.js';

export class RedisRates implements Rates {
  constructor(
    private readonly cmd: ScriptedRedis,
    private readonly keys: Keys,
    private readonly commandTimeoutMs: number,
  ) {}

  private fail(what: string, key: string) {
    return (err: unknown): never => {
      throw transportError(err, `rates.${what}(${JSON.stringify(key)})`, this.commandTimeoutMs);
    };
  }

  reserve(key: string, limit: number, periodMs: number, burst: number): Promise<number> {
    return this.cmd.eventideRateReserve(this.keys.rate(key), limit, periodMs, burst).catch(this.fail('reserve', key));
  }

  async take(key: string, limit: number, periodMs: number, burst: number): Promise<boolean> {
    const reply = await this.cmd.eventideRateTake(this.keys.rate(key), limit, periodMs, burst).catch(this.fail('take', key));
    return reply === RateReply.started;
  }
}
