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
 *   pending, running, retrying, sleeping ──WAIT──► waiting ──START──► running
 *   pending ──SKIP──► skipped   (a rate limit or an idempotency key let no run start)
 *   any state not final ──CANCEL──► cancelled
 *
 * `retrying` waits for a backoff after a failed attempt, `sleeping` for a
 * `step.sleep`, `waiting` for a limit (a concurrency slot, a throttled
 * start); none of them holds a worker slot. A run that a key function
 * fails goes pending → running → failed like any other. Runs are many and mostly idle,
 * so no live actor is kept per run: the persisted snapshot lives in the run
 * record, and moves are computed with XState's pure `transition()` over it.
 * There are nine states and eight events, so each (state, event) pair is
 * resolved by the machine once, when this module loads, and then served
 * from a table.
 */
import { setup, transition, type SnapshotFrom } from 'xstate';
import type { RunStatus } from './types.js';

export type RunMachineEvent =
  | { type: 'START' }
  | { type: 'SUCCEED' }
  | { type: 'FAIL' }
  | { type: 'RETRY' }
  | { type: 'SLEEP' }
  | { type: 'WAIT' }
  | { type: 'SKIP' }
  | { type: 'CANCEL' };
export type RunMachineEventType = RunMachineEvent['type'];

export const runMachine = setup({
  types: { events: {} as RunMachineEvent },
}).createMachine({
  id: 'run',
  initial: 'pending',
  states: {
    pending: { on: { START: 'running', WAIT: 'waiting', SKIP: 'skipped', CANCEL: 'cancelled' } },
    running: { on: { SUCCEED: 'succeeded', FAIL: 'failed', RETRY: 'retrying', SLEEP: 'sleeping', WAIT: 'waiting', CANCEL: 'cancelled' } },
    retrying: { on: { START: 'running', WAIT: 'waiting', CANCEL: 'cancelled' } },
    sleeping: { on: { START: 'running', WAIT: 'waiting', CANCEL: 'cancelled' } },
    waiting: { on: { START: 'running', CANCEL: 'cancelled' } },
    succeeded: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' },
    skipped: { type: 'final' },
  },
});

type RunSnapshot = SnapshotFrom<typeof runMachine>;

export interface Move {
  to: RunStatus;
  /** The machine's persisted snapshot after the move, to store with the run. */
  snapshot: unknown;
}

const statuses: readonly RunStatus[] = [
  'pending',
  'running',
  'retrying',
  'sleeping',
  'waiting',
  'succeeded',
  'failed',
  'cancelled',
  'skipped',
];
const events: readonly RunMachineEventType[] = ['START', 'SUCCEED', 'FAIL', 'RETRY', 'SLEEP', 'WAIT', 'SKIP', 'CANCEL'];

function snapshotOf(status: RunStatus): RunSnapshot {
  return runMachine.resolveState({ value: status, context: undefined });
}

// Every (state, event) pair is resolved by the machine once, here; runs then read the tables. Each snapshot
// in them is shared by every run that rests in that state or makes that move, and never changed.
const persisted = new Map<RunStatus, unknown>(statuses.map((s) => [s, runMachine.getPersistedSnapshot(snapshotOf(s))]));
const moves = new Map<string, Move>();
for (const from of statuses) {
  const before = snapshotOf(from);
  for (const event of events) {
    const [after] = transition(runMachine, before, { type: event });
    const to = after.value;
    if (after !== before && (to !== from || after.status !== before.status)) {
      moves.set(`${from}|${event}`, { to, snapshot: runMachine.getPersistedSnapshot(after) });
    }
  }
}

/** The persisted snapshot of a run resting in `status`. */
export function persistedSnapshot(status: RunStatus): unknown {
  return persisted.get(status);
}

/** Where `event` takes a run in `from`, or `undefined` when the machine does not allow it. */
export function move(from: RunStatus, event: RunMachineEventType): Move | undefined {
  return moves.get(`${from}|${event}`);
}

/** Every snapshot `persistedSnapshot` and `move` hand out: the only values a record's `machine` holds when this process writes it. */
export function everySnapshot(): object[] {
  const all = [...persisted.values(), ...[...moves.values()].map((m) => m.snapshot)];
  return all.filter((s): s is object => typeof s === 'object' && s !== null);
}

/** Reads the status back out of a stored snapshot (rehydration). */
export function statusOfSnapshot(snapshot: unknown): RunStatus {
  const restored = runMachine.resolveState(snapshot as Parameters<typeof runMachine.resolveState>[0]);
  return restored.value;
}
