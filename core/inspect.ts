/**
 * @module
 * Looking at runs and events, and acting on them from outside a handler:
 * `getRun`, `listRuns`, `listEvents`, `deadLetters`, `replay` and `cancel`.
 * The runtime exposes these; the HTTP API and the dashboard use them.
 */
import type { Clock } from './clock.js';
import { decodeEnvelope, type Envelope } from './codec/envelope.js';
import { encode } from './codec/msgpack.js';
import { decodeRecord, encodeRecord } from './codec/record.js';
import { ConfigError } from './errors.js';
import type { EventideFunction } from './function.js';
import { runIdFor } from './ids.js';
import { cursorMember, indexFor, matches, memberRun, runListing, runMember } from './run-index.js';
import { apply, changeOf, closeOpenSteps, runKey } from './run-record.js';
import type { DeadLetter, Transport } from './transport.js';
import { terminalStatuses, type RunRecord, type RunStateChange, type RunStatus, type StoredEvent } from './types.js';

export interface ListRunsQuery {
  functionId?: string;
  status?: RunStatus;
  eventId?: string;
  limit?: number;
  /** Start after this run: `runCursor(run)` of the last run of the previous page. */
  cursor?: string;
}

/** An event as `listEvents` shows it: `scheduled` until its time (a delayed send) has come. */
export type ListedEvent = StoredEvent & { scheduled?: true };

export interface ReplayQuery {
  functionId?: string;
  status?: RunStatus;
  runIds?: string[];
}

/** What inspecting needs from the runtime. */
export interface InspectDeps {
  /** The connected transport (connecting first when needed). */
  transport(): Promise<Transport>;
  readonly functions: ReadonlyMap<string, EventideFunction>;
  readonly clock: Clock;
  /** Given with a finished run's last write when the store deletes it by age itself. */
  finishedExpireMs(): number | undefined;
  /** Announces a run-state change made here (a cancel), as the executor's are. */
  announce(change: RunStateChange): void;
  /** Ends the attempt of `runId` executing in this process, if there is one. */
  cancelLocal(runId: string): void;
  /** Gives back the concurrency slots a cancelled run held or waited for. */
  leaveQueues(record: RunRecord, transport: Transport): Promise<void>;
}

export class Inspector {
  constructor(private readonly deps: InspectDeps) {}

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const transport = await this.deps.transport();
    const stored = await transport.store.get(runKey(runId));
    return stored ? decodeRecord(stored.value) : undefined;
  }

  /**
   * Runs, newest first (created later first, then by run id), from the run after `cursor` when given.
   * Reads one index of the transport a page at a time, so a page costs O(limit), not the namespace's size.
   */
  async listRuns(query: ListRunsQuery = {}): Promise<RunRecord[]> {
    const transport = await this.deps.transport();
    const limit = query.limit ?? 100;
    let after: string | undefined;
    if (query.cursor !== undefined) {
      after = cursorMember(query.cursor);
      if (after === undefined) throw new ConfigError('listRuns: cursor is not one a run list gave (runCursor)');
    }
    const index = indexFor(query);
    const out: RunRecord[] = [];
    while (out.length < limit) {
      // An entry may be stale (its run moved on or is gone): ask for a few more than are missing.
      const want = Math.min(limit - out.length + 8, 500);
      const members = await transport.indexes.page(index, want, after);
      if (members.length === 0) break;
      const got = await Promise.all(members.map((m) => transport.store.get(runKey(memberRun(m).id))));
      for (let i = 0; i < members.length && out.length < limit; i++) {
        after = members[i];
        const s = got[i];
        if (!s) continue;
        const r = decodeRecord(s.value);
        if (matches(r, query) && runMember(r.createdAt, r.id) === members[i]) out.push(r);
      }
      if (members.length < want) break;
    }
    return out;
  }

  /** Events as sent, newest first (as far back as the transport keeps them); one whose time has not come is `scheduled`. */
  async listEvents(query: { name?: string; limit?: number } = {}): Promise<ListedEvent[]> {
    const transport = await this.deps.transport();
    const limit = query.limit ?? 50;
    const entries = await transport.history('events', query.name ? Math.max(1_000, limit * 20) : limit * 2);
    const out: ListedEvent[] = [];
    const now = this.deps.clock.now();
    for (const entry of entries) {
      const env = decodeEnvelope(entry.data);
      if (typeof env === 'string' || env.target) continue;
      if (query.name && env.event.name !== query.name) continue;
      out.push(env.event.ts > now ? { ...env.event, scheduled: true } : env.event);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Messages the transport gave up on (malformed or refused), newest first. */
  async deadLetters(query: { limit?: number } = {}): Promise<(DeadLetter & { event?: StoredEvent })[]> {
    const transport = await this.deps.transport();
    const letters = await transport.deadLetters(query.limit ?? 50);
    return letters.map((d) => {
      const env = decodeEnvelope(d.data);
      return typeof env === 'string' ? d : { ...d, event: env.event };
    });
  }

  /**
   * Starts fresh runs of the same events with the current code (after a
   * fix), one per selected run, and returns the new run ids. Selects by
   * `runIds`, or by `functionId` and `status` (default 'failed'); a replay
   * by status leaves out runs already replayed (`replayedBy`).
   *
   * Idempotent: a replay's run id is derived from the original and the
   * revision it was read at, and the original is marked only after the
   * replay is published. Two bulk replays reading the same original start
   * one run (publish and run ids deduplicate), and one that dies between
   * publishing and marking starts the same run when asked again.
   */
  async replay(query: ReplayQuery): Promise<string[]> {
    const transport = await this.deps.transport();
    let runIds: string[];
    if (query.runIds) runIds = query.runIds;
    else {
      if (!query.functionId) throw new ConfigError('replay needs runIds, or a functionId (and optionally a status, default failed)');
      const runs = await this.listRuns({ functionId: query.functionId, status: query.status ?? 'failed', limit: Number.MAX_SAFE_INTEGER });
      runIds = runs.filter((r) => r.replayedBy === undefined).map((r) => r.id);
    }
    const originals: { record: RunRecord; revision: number }[] = [];
    for (const id of runIds) {
      const stored = await transport.store.get(runKey(id));
      if (!stored) throw new ConfigError(`replay: no run "${id}"`);
      const record = decodeRecord(stored.value);
      if (!this.deps.functions.has(record.functionId))
        throw new ConfigError(`replay: function "${record.functionId}" is not registered with this runtime`);
      // Read again since it was listed: another replay may have marked it meanwhile.
      if (!query.runIds && record.replayedBy !== undefined) continue;
      originals.push({ record, revision: stored.revision });
    }
    const ids: string[] = [];
    await Promise.all(
      originals.map(async ({ record: r, revision }) => {
        const runId = runIdFor(r.functionId, r.eventId, `replay:${r.id}:${revision}`);
        const env: Envelope = { v: 1, event: r.event, target: { functionId: r.functionId, runId, replayOf: r.id } };
        await transport.publish('events', encode(env), { msgId: runId, topic: r.event.name });
        await this.markReplayed(transport, r.id, runId);
        ids.push(runId);
      }),
    );
    return ids;
  }

  /** Writes `replayedBy` on the original (compare-and-set, read again on a conflict). */
  private async markReplayed(transport: Transport, originalId: string, replayId: string): Promise<void> {
    for (let tries = 0; tries < 10; tries++) {
      const stored = await transport.store.get(runKey(originalId));
      if (!stored) return;
      const record = decodeRecord(stored.value);
      // A run that has not ended is its worker's to write (a write here would make that worker's next one lose).
      if (record.replayedBy === replayId || !terminalStatuses.has(record.status)) return;
      record.replayedBy = replayId;
      const expireMs = this.deps.finishedExpireMs();
      const written = await transport.store.update(
        runKey(originalId),
        encodeRecord(record),
        stored.revision,
        expireMs !== undefined ? { expireMs } : undefined,
      );
      if (written !== undefined) return;
    }
  }

  /** Cancels a run that has not ended; an attempt in flight is aborted (its `signal` fires). Resolves to the run as stored. */
  async cancel(runId: string): Promise<RunRecord> {
    const transport = await this.deps.transport();
    for (;;) {
      const stored = await transport.store.get(runKey(runId));
      if (!stored) throw new ConfigError(`cancel: no run "${runId}"`);
      const record = decodeRecord(stored.value);
      if (terminalStatuses.has(record.status)) return record;
      const from = record.status;
      const now = this.deps.clock.now();
      apply(record, 'CANCEL');
      record.endedAt = record.updatedAt = now;
      record.nextAttemptAt = undefined;
      record.waitingFor = undefined;
      closeOpenSteps(record, now);
      const expireMs = this.deps.finishedExpireMs();
      const written = await transport.store.update(runKey(runId), encodeRecord(record), stored.revision, {
        listing: runListing(record),
        ...(expireMs !== undefined ? { expireMs } : {}),
      });
      if (written === undefined) continue;
      this.deps.announce(changeOf(record, from, now));
      this.deps.cancelLocal(runId);
      if (from === 'waiting') await this.deps.leaveQueues(record, transport);
      // Workers in other processes end their attempt of this run too.
      await transport.broadcast('control', encode({ cancel: runId }));
      return record;
    }
  }
}
