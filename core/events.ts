/**
 * @module
 * Types from an event map: the events an app sends, by name, with the data
 * each carries. `createRuntime<Events>()` then refuses, at compile time, a
 * `send` of an unknown name or of data of the wrong shape, and
 * `forEvents<Events>().defineFunction` types `event.data` from the trigger.
 * Types only: nothing here checks anything at run time (schemas do that).
 */
import { defineFunction, type EventideFunction, type FunctionConfig, type Handler } from './function.js';
import type { EventPayload } from './types.js';

/** Event names and the data each carries: `{ 'user/created': { userId: string } }`. */
export type EventMap = Record<string, unknown>;

/** Any event of the map: a name of it, with that name's data. */
export type EventOf<Events extends EventMap> = { [Name in keyof Events & string]: EventPayload<Name, Events[Name]> }[keyof Events & string];

/** What a trigger may name: an event of the map, or a prefix ending in `*`. */
export type TriggerOf<Events extends EventMap> = (keyof Events & string) | `${string}*`;

/** The data of the events a trigger matches: its event's, or the union of every event's its prefix matches. */
export type DataOf<Events extends EventMap, Trigger extends string> = Trigger extends `${infer Prefix}*`
  ? Events[Extract<keyof Events, `${Prefix}${string}`>]
  : Events[Trigger];

/** `defineFunction` typed by an event map: the trigger must name one of its events (or a prefix), and `event.data` has its type. */
export function forEvents<Events extends EventMap>(): {
  defineFunction<Trigger extends TriggerOf<Events>, Output = unknown>(
    config: FunctionConfig<Trigger, DataOf<Events, Trigger>>,
    handler: Handler<DataOf<Events, Trigger>, Output>,
  ): EventideFunction<DataOf<Events, Trigger>, Output>;
} {
  return { defineFunction };
}
