/**
 * @module
 * The run lifecycle, as an XState v5 machine. It is the only place that says
 * which moves are legal:
 *
 *   pending ──START──► running ──SUCCEED──► succeeded
 *                       │  ▲  ──FAIL─────► failed
 *            RETRY/SLEEP│  │START
 *                       ▼  │
 *                 retrying / sleeping
 *   any state not final ──CANCEL──► cancelled
 *
 * `retrying` waits for a backoff after a failed attempt, `sleeping` for a
 * `step.sleep`; neither holds a worker slot. Runs are many and mostly idle,
 * so no live actor is kept per run: the persisted snapshot lives in the run
 * record, and moves are computed with XState's pure `transition()` over it.
 * There are seven states and six events, so each (state, event) pair is
 * resolved by the machine once and then served from a table.
 */
import { setup, transition, type SnapshotFrom } from 'xstate';
import { fixEncoding } from './msgpack-writer.js';
import type { RunStatus } from './types.js';

export type RunMachineEvent =
  { type: 'START' } | { type: 'SUCCEED' } | { type: 'FAIL' } | { type: 'RETRY' } | { type: 'SLEEP' } | { type: 'CANCEL' };
export type RunMachineEventType = RunMachineEvent['type'];

export const runMachine = setup({
  types: { events: {} as RunMachineEvent },
}).createMachine({
  id: 'run',
  initial: 'pending',
  states: {
    pending: { on: { START: 'running', CANCEL: 'cancelled' } },
    running: { on: { SUCCEED: 'succeeded', FAIL: 'failed', RETRY: 'retrying', SLEEP: 'sleeping', CANCEL: 'cancelled' } },
    retrying: { on: { START: 'running', CANCEL: 'cancelled' } },
    sleeping: { on: { START: 'running', CANCEL: 'cancelled' } },
    succeeded: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
  },
});

type RunSnapshot = SnapshotFrom<typeof runMachine>;

export interface Move {
  to: RunStatus;
  /** The machine's persisted snapshot after the move, to store with the run. */
  snapshot: unknown;
}

const moves = new Map<string, Move | null>();
const persisted = new Map<RunStatus, unknown>();

function snapshotOf(status: RunStatus): RunSnapshot {
  return runMachine.resolveState({ value: status, context: undefined as never });
}

/** The persisted snapshot of a run resting in `status`. */
export function persistedSnapshot(status: RunStatus): unknown {
  let p = persisted.get(status);
  if (p === undefined) {
    persisted.set(status, (p = runMachine.getPersistedSnapshot(snapshotOf(status))));
    fixEncoding(p as object);
  }
  return p;
}

/** Where `event` takes a run in `from`, or `undefined` when the machine does not allow it. */
export function move(from: RunStatus, event: RunMachineEventType): Move | undefined {
  const key = `${from}|${event}`;
  let m = moves.get(key);
  if (m === undefined) {
    const before = snapshotOf(from);
    const [after] = transition(runMachine, before, { type: event } as RunMachineEvent);
    const to = after.value as RunStatus;
    const changed = after !== before && (to !== from || after.status !== before.status);
    m = changed ? { to, snapshot: runMachine.getPersistedSnapshot(after) } : null;
    // Shared by every run that makes this move, never changed: records copy its bytes.
    if (m) fixEncoding(m.snapshot as object);
    moves.set(key, m);
  }
  return m ?? undefined;
}

/** Reads the status back out of a stored snapshot (rehydration). */
export function statusOfSnapshot(snapshot: unknown): RunStatus {
  const restored = runMachine.resolveState(snapshot as Parameters<typeof runMachine.resolveState>[0]);
  return restored.value as RunStatus;
}

export const initialStatus: RunStatus = 'pending';
