/**
 * @module
 * The run list's search and time range (`GET /runs?q&from&to`): what the
 * dashboard's search box and range picker send. `q` finds a run by its id,
 * its event's id or name, or text in its event's data (a batch's events
 * included), without regard to case; `from` and `to` bound when the run was
 * created, as epoch milliseconds or ISO 8601 times.
 */
import type { RunRecord } from '../../core/types.js';
import { HttpError } from './body.js';
import { toJson } from './views.js';

export interface RunFilter {
  /** Lower-cased search text. */
  q?: string;
  from?: number;
  to?: number;
}

/** Search text longer than this is refused: no run id, event id or useful data fragment is that long. */
const maxSearchLength = 200;

function timeParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  // Date.parse alone takes much that is not a time ('-5' is a date in V8): only digits or ISO 8601.
  const at = /^\d+$/.test(raw) ? Number(raw) : /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw) ? Date.parse(raw) : NaN;
  if (!Number.isSafeInteger(at) || at < 0)
    throw new HttpError(400, 'INVALID_QUERY', `${name} must be epoch milliseconds or an ISO 8601 time (e.g. 2026-01-31T09:00:00Z)`);
  return at;
}

/** The filter a query names, or `undefined` when it names none; a malformed one is a 400. */
export function runFilterOf(query: URLSearchParams): RunFilter | undefined {
  const q = (query.get('q') ?? '').trim();
  if (q.length > maxSearchLength) throw new HttpError(400, 'INVALID_QUERY', `q must be at most ${maxSearchLength} characters`);
  const from = timeParam(query, 'from');
  const to = timeParam(query, 'to');
  if (from !== undefined && to !== undefined && from > to) throw new HttpError(400, 'INVALID_QUERY', 'from must not be after to');
  if (!q && from === undefined && to === undefined) return undefined;
  return { ...(q ? { q: q.toLowerCase() } : {}), ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

export function createdWithin(r: { createdAt: number }, f: { from?: number; to?: number }): boolean {
  return (f.from === undefined || r.createdAt >= f.from) && (f.to === undefined || r.createdAt <= f.to);
}

function mentions(r: RunRecord, q: string): boolean {
  if (r.id.toLowerCase().includes(q) || r.eventId.toLowerCase().includes(q)) return true;
  const events = r.events ?? (r.event ? [r.event] : []);
  return events.some(
    (e) => e.id.toLowerCase().includes(q) || e.name.toLowerCase().includes(q) || (toJson(e.data) ?? '').toLowerCase().includes(q),
  );
}

export function matchesRun(r: RunRecord, f: RunFilter): boolean {
  return createdWithin(r, f) && (f.q === undefined || mentions(r, f.q));
}
