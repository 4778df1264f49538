/**
 * The lease index, so `reclaim` reads only the slot keys that may hold a
 * lapsed lease instead of every key: a few shard keys (`index.<n>`), each a
 * JSON map of slot key token → a time no later than that key's earliest
 * lease expiry. Entries only have to be low enough; one that is too low (its
 * holder renewed, or the key emptied) costs reclaim one needless look, after
 * which reclaim raises or removes it.
 *
 * Two compare-and-set objects (the slot key and its shard) cannot be written
 * together, so the protocol keeps one invariant: for the current state of a
 * slot key with `indexed` = x, its shard entry is ≤ x.
 *
 * - A writer whose new state needs an entry lower than the `indexed` it read
 *   (or has none) writes the shard first (min of the entry and what it
 *   needs), and always writes, even when the entry is already low enough;
 *   only then does it commit the state, with `indexed` lowered. A crash in
 *   between leaves an entry lower than needed: harmless.
 * - Reclaim reads the shard (revision I) before it reads a due key, commits
 *   the key's state by compare-and-set even when nothing lapsed (a fence: a
 *   writer that read the state before can no longer commit on top of it),
 *   and only then raises or removes the entry, by compare-and-set on I. A
 *   writer that lowered the entry after I makes that fail (the entry stays
 *   low, reclaim looks again next time); one that commits after the fence
 *   read the fenced state, so it lowers the shard itself if it needs to.
 */
import { type LimitsBucket, type Read } from './limits-bucket.js';

/** Fewer shards mean fewer keys for reclaim to read; more mean fewer writers racing on one. */
const SHARDS = 8;
/** Due keys handled per shard and call, so one call stays short; the rest are due again next call. */
export const RECLAIM_BATCH = 100;

const text = new TextDecoder();

export interface Shard {
  name: string;
  revision: number;
  entries: Record<string, number>;
}

function shardOf(token: string): string {
  let h = 0;
  for (let i = 0; i < token.length; i++) h = (h * 31 + token.charCodeAt(i)) | 0;
  return `index.${Math.abs(h) % SHARDS}`;
}

export const shardNames = (): string[] => Array.from({ length: SHARDS }, (_, n) => `index.${n}`);

function entriesOf(read: Read): Record<string, number> {
  // Tokens start with `k` or `h`, so no entry can be an inherited property.
  return read.value && read.value.length > 0 ? (JSON.parse(text.decode(read.value)) as Record<string, number>) : {};
}

export async function readShard(bucket: LimitsBucket, name: string): Promise<Shard> {
  const read = await bucket.read(name);
  return { name, revision: read.revision, entries: entriesOf(read) };
}

/** Writes `shard` with `changes` applied (undefined: remove) if it is still at the revision read; false when it moved on. */
export async function writeShard(bucket: LimitsBucket, shard: Shard, changes: Map<string, number | undefined>): Promise<boolean> {
  const entries = { ...shard.entries };
  for (const [token, at] of changes) {
    if (at === undefined) delete entries[token];
    else entries[token] = at;
  }
  // A shard back at revision 0 is harmless: reclaim writes only a shard it read with entries in it.
  if (Object.keys(entries).length === 0) return bucket.delete(shard.name, shard.revision, true);
  return (await bucket.write(shard.name, JSON.stringify(entries), shard.revision)) !== undefined;
}

/** Makes the entry of `token` no later than `at` (see the module comment: a write even when it already is). */
export async function lowerEntry(
  bucket: LimitsBucket,
  token: string,
  at: number,
  attempts: number,
  pause: (attempt: number) => Promise<void>,
): Promise<boolean> {
  const name = shardOf(token);
  for (let attempt = 0; attempt < attempts; attempt++) {
    const shard = await readShard(bucket, name);
    const was = shard.entries[token];
    if (await writeShard(bucket, shard, new Map([[token, was === undefined ? at : Math.min(was, at)]]))) return true;
    await pause(attempt);
  }
  return false;
}
