/**
 * @module
 * Sorted indexes of the memory store's values (core/transport-index.ts).
 * Each index is an array kept in descending order: the core's newest members
 * are its smallest, so the usual insert is a push at the end, and a page
 * (ascending, after a cursor) walks back from a binary search.
 */
import type { Listing } from '../../core/transport.js';

export class MemoryListings {
  private readonly listed = new Map<string, Listing>();
  private readonly indexes = new Map<string, string[]>();

  /** Lists `key` as `listing` says, replacing its previous listing. Index names are the caller's, namespace included. */
  list(key: string, listing: Listing, prefix: string): void {
    const before = this.listed.get(key);
    const now: Listing = { member: listing.member, in: listing.in.map((i) => prefix + i) };
    const keep = new Set(before?.member === now.member ? now.in : []);
    if (before) for (const i of before.in) if (!keep.has(i)) this.remove(i, before.member);
    const had = new Set(before?.member === now.member ? before.in : []);
    for (const i of now.in) if (!had.has(i)) this.insert(i, now.member);
    this.listed.set(key, now);
  }

  unlist(key: string): void {
    const before = this.listed.get(key);
    if (!before) return;
    for (const i of before.in) this.remove(i, before.member);
    this.listed.delete(key);
  }

  page(index: string, limit: number, after: string | undefined): string[] {
    const a = this.indexes.get(index);
    if (!a) return [];
    // Members above `after` sit before the first one at or below it; ascending order walks them back to front.
    let i = (after === undefined ? a.length : firstAtOrBelow(a, after)) - 1;
    const out: string[] = [];
    for (; i >= 0 && out.length < limit; i--) out.push(a[i]);
    return out;
  }

  private insert(index: string, member: string): void {
    let a = this.indexes.get(index);
    if (!a) this.indexes.set(index, (a = []));
    if (a.length === 0 || a[a.length - 1] > member) {
      a.push(member);
      return;
    }
    const at = firstAtOrBelow(a, member);
    if (a[at] !== member) a.splice(at, 0, member);
  }

  private remove(index: string, member: string): void {
    const a = this.indexes.get(index);
    if (!a) return;
    const at = firstAtOrBelow(a, member);
    if (a[at] === member) a.splice(at, 1);
    if (a.length === 0) this.indexes.delete(index);
  }
}

/** In a descending array: the first position whose member is <= `m` (a.length when none). */
function firstAtOrBelow(a: string[], m: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] > m) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
