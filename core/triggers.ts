/**
 * @module
 * What starts a function: events (by name or prefix, with an optional
 * filter and schema) and cron schedules, one trigger or an array of them.
 * `readTriggers` checks them at `defineFunction` and splits them by kind.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { compileCron, type CronSchedule } from './cron/schedule.js';
import { ConfigError } from './errors.js';
import type { StoredEvent } from './types.js';

export interface Trigger<Name extends string = string, Data = unknown> {
  /** An event name, or a prefix ending in `*` such as `user/*`. */
  event: Name;
  /** Runs only for events this returns true for. */
  if?: (event: StoredEvent<string, Data>) => boolean;
  /** Validates the event's data at `send` and types `event.data` in the handler. */
  schema?: StandardSchemaV1<unknown, Data>;
}

/** Starts one run per tick, across every worker of the namespace. A tick missed while no worker ran is not run later. */
export interface CronTrigger {
  /** 5 fields (`'0 * * * *'`), or 6 with seconds first (`'*\/10 * * * * *'`), or a nickname such as `'@daily'`. */
  cron: string;
  /** IANA time zone the expression is read in. Default UTC. */
  tz?: string;
}

export type TriggerOption<Name extends string = string, Data = unknown> =
  Trigger<Name, Data> | CronTrigger | readonly (Trigger<Name, Data> | CronTrigger)[];

export interface Triggers {
  events: Trigger[];
  crons: CronSchedule[];
}

/** Checks a function's `trigger` option and splits it by kind; a ConfigError names the trigger at fault. */
export function readTriggers(option: unknown, where: string): Triggers {
  const list: unknown[] = Array.isArray(option) ? option : [option];
  if (list.length === 0) throw new ConfigError(`${where}: trigger must name an event or a cron schedule (an empty array starts nothing)`);
  const triggers: Triggers = { events: [], crons: [] };
  list.forEach((t, i) => {
    const at = `${where}: trigger${Array.isArray(option) ? `[${i}]` : ''}`;
    if (!t || typeof t !== 'object') throw new ConfigError(`${at} must be { event } or { cron, tz? }`);
    const { event, cron, tz } = t as { event?: unknown; cron?: unknown; tz?: unknown };
    if (cron !== undefined) {
      if (event !== undefined) throw new ConfigError(`${at} has both event and cron: give each its own trigger (an array of triggers)`);
      triggers.crons.push(compileCron(cron, tz, at));
    } else if (typeof event === 'string' && event.length > 0) triggers.events.push(t as Trigger);
    else throw new ConfigError(`${at}.event must name an event (or a prefix ending in '*'), or give { cron, tz? }`);
  });
  return triggers;
}

/** A function's triggers in words, for lists: `user/created, cron 0 * * * * (Europe/Paris)`. */
export function describeTriggers(fn: { readonly events: readonly Trigger[]; readonly crons: readonly CronSchedule[] }): string {
  return [...fn.events.map((t) => t.event), ...fn.crons.map((c) => `cron ${c.cron}${c.tz ? ` (${c.tz})` : ''}`)].join(', ');
}
