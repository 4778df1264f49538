/**
 * @module
 * `GET /stats?from&to`: what the dashboard's function cards show. Per
 * function: runs by status (created in the range, or all runs without one),
 * what waits now (runs held by a limit, events sent with a delay whose time
 * has not come, and the transport's undelivered backlog where the runtime
 * can tell it), and runs that succeeded and failed per time bucket across
 * the range (the last hour without one), for the sparklines.
 *
 * It reads the run records once per call, as `GET /runs` does; the dashboard
 * asks for it at most once a second however busy the namespace.
 */
import type { RunRecord, RunStatus } from '../../core/types.js';
import { createdWithin } from './run-filter.js';

/** Buckets per sparkline. */
export const sparkBuckets = 24;
const defaultRangeMs = 3_600_000;

export interface FunctionStats {
  id: string;
  /** Runs by status; a failed run that a replay has already re-run counts as `replayed`, not `failed`. */
  counts: Partial<Record<RunStatus | 'replayed', number>>;
  /** Failed runs not yet replayed, whatever the range: what `POST /replay { functionId }` would start again. */
  replayable: number;
  /** Runs `waiting` now (for a limit, or what their wait names), whatever the range. */
  waiting: number;
  /** Events sent with a delay (a future `ts`) whose time has not come, for this function's trigger. */
  delayed: number;
  /** Messages the transport holds for this function, not yet delivered; absent where the runtime cannot tell. */
  backlog?: number;
  /** Runs that ended `succeeded`, per bucket, oldest first. */
  succeeded: number[];
  /** Runs that ended `failed`, per bucket, oldest first. */
  failed: number[];
}

export interface StatsView {
  from: number;
  to: number;
  bucketMs: number;
  functions: FunctionStats[];
}

/** What the stats read from the runtime. */
export interface StatsSource {
  listRuns(query: { limit: number }): Promise<RunRecord[]>;
  listEvents(query: { limit: number }): Promise<{ name: string; scheduled?: true }[]>;
  listFunctions(): { id: string; trigger?: string }[];
  /**
   * Undelivered messages per function id, from the transport. Optional: where a runtime offers it, the
   * cards show a backlog; until then they show what the run records and the event history tell.
   */
  backlogs?(): Promise<Record<string, number>>;
}

/** How many recent events are looked at for delayed ones: a delay longer than this many later sends is not counted. */
const scheduledScan = 1_000;

export async function functionStats(source: StatsSource, range: { from?: number; to?: number }, now: number): Promise<StatsView> {
  const to = range.to ?? now;
  const from = range.from ?? to - defaultRangeMs;
  const bucketMs = Math.max(1, Math.ceil((to - from) / sparkBuckets));
  const [runs, events, backlogs] = await Promise.all([
    source.listRuns({ limit: Number.MAX_SAFE_INTEGER }),
    source.listEvents({ limit: scheduledScan }),
    source.backlogs ? source.backlogs() : Promise.resolve(undefined),
  ]);
  const byId = new Map<string, FunctionStats>();
  const of = (id: string): FunctionStats => {
    let s = byId.get(id);
    if (!s)
      byId.set(
        id,
        (s = {
          id,
          counts: {},
          replayable: 0,
          waiting: 0,
          delayed: 0,
          succeeded: new Array<number>(sparkBuckets).fill(0),
          failed: new Array<number>(sparkBuckets).fill(0),
        }),
      );
    return s;
  };
  const functions = source.listFunctions();
  for (const f of functions) of(f.id);
  for (const r of runs) {
    const s = of(r.functionId);
    if (r.status === 'waiting') s.waiting++;
    // `replayedBy` is set on a failed run once a replay re-ran it (workflow steps); older records lack it.
    const replayed = r.status === 'failed' && (r as { replayedBy?: string }).replayedBy !== undefined;
    if (r.status === 'failed' && !replayed) s.replayable++;
    if (range.from === undefined && range.to === undefined ? true : createdWithin(r, range)) {
      const key = replayed ? 'replayed' : r.status;
      s.counts[key] = (s.counts[key] ?? 0) + 1;
    }
    if ((r.status === 'succeeded' || r.status === 'failed') && r.endedAt !== undefined && r.endedAt >= from && r.endedAt <= to) {
      const i = Math.min(sparkBuckets - 1, Math.floor((r.endedAt - from) / bucketMs));
      s[r.status][i]++;
    }
  }
  const scheduled = new Map<string, number>();
  for (const e of events) if (e.scheduled) scheduled.set(e.name, (scheduled.get(e.name) ?? 0) + 1);
  for (const f of functions) if (f.trigger !== undefined) of(f.id).delayed = scheduled.get(f.trigger) ?? 0;
  if (backlogs) for (const [id, n] of Object.entries(backlogs)) if (byId.has(id)) of(id).backlog = n;
  return { from, to, bucketMs, functions: [...byId.values()] };
}
