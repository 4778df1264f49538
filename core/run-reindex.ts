/**
 * @module
 * Runs stored before run records carried their listing (an older eventide)
 * are in no index, so `listRuns` would not show them. The first worker that
 * starts on a namespace lists them once, in the background: it claims a
 * marker key, rewrites each run record unchanged with its listing
 * (compare-and-set: a run written meanwhile carries its listing already),
 * and marks the namespace done. A worker that dies midway leaves the rest
 * unlisted until the marker is deleted by hand; they stay readable by id.
 */
import { decodeRecord } from './codec/record.js';
import { runListing } from './run-index.js';
import type { KVStore } from './transport.js';
import { terminalStatuses } from './types.js';

const marker = 'index.runs.v1';
const enc = (s: string) => new TextEncoder().encode(s);

/**
 * Lists every unlisted run once per namespace; how many it listed (0 when another process has, or does).
 * `finishedExpireMs` is given again with an ended run's write, so its expiry is not lost (it may come later than
 * before, by at most that age: never sooner than promised).
 */
export async function listOlderRuns(store: KVStore, finishedExpireMs: number | undefined, active: () => boolean): Promise<number> {
  if (await store.get(marker)) return 0;
  const claimed = await store.create(marker, enc('listing'));
  if (claimed === undefined) return 0;
  let listed = 0;
  for (const key of await store.keys('run.')) {
    if (!active()) return listed;
    const stored = await store.get(key);
    if (!stored) continue;
    const record = decodeRecord(stored.value);
    const expireMs = terminalStatuses.has(record.status) ? finishedExpireMs : undefined;
    const written = await store.update(key, stored.value, stored.revision, {
      listing: runListing(record),
      ...(expireMs !== undefined ? { expireMs } : {}),
    });
    if (written !== undefined) listed++;
  }
  await store.update(marker, enc('done'), claimed);
  return listed;
}
