/**
 * @module
 * The seam's primitive for queries that scale: sorted indexes of stored
 * values, kept by the transport next to the values they list, and read a page
 * at a time from a cursor.
 *
 * - A store write may carry a `listing` (`WriteOptions.listing`): after the
 *   write, the value is listed under `member` in exactly the indexes `in`.
 *   Entries of its previous listing that are not in the new one go. A write
 *   without `listing` leaves the listing as it was.
 * - Where the transport can, the listing moves atomically with the write
 *   (memory, SQLite: one transaction, Redis: one script) and only when its
 *   compare-and-set wins. Where it cannot (NATS), new entries land before the
 *   write and old ones go after it, so a reader may see a stale entry but
 *   never misses a listed value: readers check each value they page to.
 * - `store.delete` takes the key's listing with it; a value that expires
 *   (`expireMs`) takes its listing with it too, at the latest when the
 *   transport sweeps what expired.
 * - `page` reads members of one index in ascending order, strictly after a
 *   cursor (a member), at a cost of O(limit), not of the index's size (NATS:
 *   see its transport's notes for what a page costs there).
 *
 * Members and index names are strings the core makes; members are compared
 * as bytes (the core keeps them ASCII, so every transport orders alike).
 * The transport never reads them.
 */

/** Where a stored value is listed after a write: under `member` in each index of `in`. */
export interface Listing {
  member: string;
  in: readonly string[];
}

export interface Indexes {
  /** Members of `index` in ascending order, strictly after `after` when given, at most `limit`. */
  page(index: string, limit: number, after?: string): Promise<string[]>;
}
