/**
 * @module
 * What the API returns: run summaries for tables, a run's full detail
 * (without the machine snapshot, which is internal), dead letters without
 * their raw bytes, and a JSON encoder that does not throw on the odd values
 * msgpack can carry (bigint, Map, Set, byte arrays).
 */
import type { SerializedError } from '../../core/errors.js';
import type { DeadLetter } from '../../core/transport.js';
import type { RunRecord, RunStatus, StepRecord, StoredEvent } from '../../core/types.js';

export interface RunSummary {
  id: string;
  functionId: string;
  eventId: string;
  eventName: string;
  status: RunStatus;
  attempt: number;
  createdAt: number;
  updatedAt: number;
  endedAt?: number;
  nextAttemptAt?: number;
  replayOf?: string;
  /** The newest replay of this run: a failed run with this set is counted apart from the failed ones still to replay. */
  replayedBy?: string;
  error?: SerializedError;
  stepCount: number;
  /** Links to other runs, where the record has them (invoke, onFailure, replay). */
  parentRunId?: string;
  failureOf?: string;
}

// Fields that name another run; written by workflow steps (invoke, onFailure) and replay, absent on older records.
const linkFields = ['parentRunId', 'failureOf', 'replayedBy'] as const;

function linksOf(r: RunRecord): Pick<RunSummary, (typeof linkFields)[number]> {
  const out: Pick<RunSummary, (typeof linkFields)[number]> = {};
  const named = r as Partial<Record<(typeof linkFields)[number], unknown>>;
  for (const f of linkFields) {
    const v = named[f];
    if (typeof v === 'string') out[f] = v;
  }
  return out;
}

export interface StepView extends StepRecord {
  durationMs?: number;
}

export interface RunDetail extends Omit<RunRecord, 'machine' | 'steps' | 'logTail'> {
  steps: StepView[];
  durationMs?: number;
}

export function runSummary(r: RunRecord): RunSummary {
  return {
    id: r.id,
    functionId: r.functionId,
    eventId: r.eventId,
    eventName: r.event?.name,
    status: r.status,
    attempt: r.attempt,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    ...(r.endedAt !== undefined ? { endedAt: r.endedAt } : {}),
    ...(r.nextAttemptAt !== undefined ? { nextAttemptAt: r.nextAttemptAt } : {}),
    ...(r.replayOf !== undefined ? { replayOf: r.replayOf } : {}),
    ...(r.replayedBy !== undefined ? { replayedBy: r.replayedBy } : {}),
    ...(r.error ? { error: { name: r.error.name, message: r.error.message } } : {}),
    stepCount: Object.keys(r.steps ?? {}).length,
    ...linksOf(r),
  };
}

export function runDetail(r: RunRecord): RunDetail {
  const { machine: _machine, logTail: _logTail, steps, ...rest } = r;
  const list = Object.values(steps ?? {})
    .map((s): StepView => (s.endedAt !== undefined ? { ...s, durationMs: s.endedAt - s.startedAt } : { ...s }))
    .sort((a, b) => a.startedAt - b.startedAt);
  return { ...rest, steps: list, ...(r.endedAt !== undefined ? { durationMs: r.endedAt - r.createdAt } : {}) };
}

export interface DeadLetterView extends Omit<DeadLetter, 'data'> {
  bytes: number;
  event?: StoredEvent;
}

export function deadLetterView(d: DeadLetter & { event?: StoredEvent }): DeadLetterView {
  const { data, ...rest } = d;
  return { ...rest, bytes: data?.byteLength ?? 0 };
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  return value;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}
