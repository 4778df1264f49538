/**
 * @module
 * How run records are listed in the transport's indexes, so `listRuns` reads
 * a page, not every record. Every write of a run record carries its listing
 * (`runListing`): in every index a query may pick, under a member that sorts
 * newest first (created later first, then by run id), so a page is a range
 * read from a cursor. A status change moves the run between status indexes
 * in the same write.
 */
import type { Listing } from './transport-index.js';
import type { RunRecord, RunStatus } from './types.js';

/** Digits of the inverted creation time: wide enough for every epoch millisecond up to the year 2286. */
const width = 13;
const top = 10 ** width - 1;

/** The run's place in newest-first order: inverted creation time, fixed width, then the run id (ASCII). */
export function runMember(createdAt: number, runId: string): string {
  const inverted = top - Math.min(top, Math.max(0, Math.floor(createdAt)));
  return `${String(inverted).padStart(width, '0')}.${runId}`;
}

/** The run id and creation time a member stands for. */
export function memberRun(member: string): { createdAt: number; id: string } {
  return { createdAt: top - Number(member.slice(0, width)), id: member.slice(width + 1) };
}

export interface RunFilter {
  functionId?: string;
  status?: RunStatus;
  eventId?: string;
}

/** The index that holds exactly the runs of a filter (an event's runs are few, so its index is not split further). */
export function indexFor(q: RunFilter): string {
  if (q.eventId !== undefined) return `e:${q.eventId}`;
  if (q.functionId !== undefined && q.status !== undefined) return `fs:${q.status}:${q.functionId}`;
  if (q.functionId !== undefined) return `f:${q.functionId}`;
  if (q.status !== undefined) return `s:${q.status}`;
  return 'all';
}

/** Every index a run belongs to as it is now. */
export function runListing(r: Pick<RunRecord, 'id' | 'functionId' | 'status' | 'eventId' | 'createdAt'>): Listing {
  return {
    member: runMember(r.createdAt, r.id),
    in: ['all', `f:${r.functionId}`, `s:${r.status}`, `fs:${r.status}:${r.functionId}`, `e:${r.eventId}`],
  };
}

export function matches(r: RunRecord, q: RunFilter): boolean {
  return (
    (q.functionId === undefined || r.functionId === q.functionId) &&
    (q.status === undefined || r.status === q.status) &&
    (q.eventId === undefined || r.eventId === q.eventId)
  );
}

/** A run's place in the order of `listRuns`, as an opaque cursor: the runs after it are the next page. */
export function runCursor(r: { createdAt: number; id: string }): string {
  return Buffer.from(`${r.createdAt}:${r.id}`, 'utf8').toString('base64url');
}

/** The member a cursor stands for; undefined when it is not one `runCursor` made. */
export function cursorMember(cursor: string): string | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const at = text.indexOf(':');
  if (at <= 0) return undefined;
  const createdAt = Number(text.slice(0, at));
  const id = text.slice(at + 1);
  if (!Number.isSafeInteger(createdAt) || !id || !/^[\x21-\x7e]+$/.test(id)) return undefined;
  return runMember(createdAt, id);
}
