/**
 * @module
 * Which functions some runtime of the namespace serves: each worker runtime
 * records its functions' ids in the store when it starts, so that
 * `step.invoke` of a function nobody serves fails at once with a clear
 * error instead of waiting for a run that never starts. Entries are never
 * removed: a function served once may be served again after a deploy.
 */
import { encode } from './codec/msgpack.js';
import type { KVStore } from './transport.js';

/** The store key that records function `id` as served in the namespace. */
export const functionKey = (functionId: string) => `function.${functionId}`;

export async function registerFunctions(store: KVStore, ids: string[]): Promise<void> {
  const value = encode({ registeredAt: Date.now() });
  await Promise.all(
    ids.map(async (id) => {
      // Present already: another runtime (or an earlier start) recorded it; create leaves it as it is.
      if (!(await store.get(functionKey(id)))) await store.create(functionKey(id), value);
    }),
  );
}

/** True when some runtime of the namespace has served the function. */
export async function isServed(store: KVStore, functionId: string): Promise<boolean> {
  return (await store.get(functionKey(functionId))) !== undefined;
}
