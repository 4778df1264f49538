/**
 * @module
 * Run records: where they are stored, how a new one looks, how the run
 * machine moves one, and the change each move announces. The executor, a
 * cancel and a replay all move runs through these.
 */
import type { Envelope } from './codec/envelope.js';
import { move, persistedSnapshot, type RunMachineEventType } from './run-machine.js';
import type { RunRecord, RunStateChange, RunStatus } from './types.js';

export const runKey = (runId: string) => `run.${runId}`;

export function newRecord(runId: string, functionId: string, env: Envelope, now: number): RunRecord {
  return {
    id: runId,
    functionId,
    eventId: env.event.id,
    event: env.event,
    status: 'pending',
    attempt: 0,
    steps: {},
    logs: [],
    logsDropped: 0,
    createdAt: now,
    updatedAt: now,
    ...(env.target?.replayOf ? { replayOf: env.target.replayOf } : {}),
    ...(env.target?.parent ? { parentRunId: env.target.parent.runId, parentStepId: env.target.parent.stepId } : {}),
    ...(env.target?.failureOf ? { failureOf: env.target.failureOf } : {}),
    ...(env.events ? { events: env.events } : {}),
    machine: persistedSnapshot('pending'),
  };
}

export function changeOf(record: RunRecord, from: RunStatus, at: number): RunStateChange {
  return {
    runId: record.id,
    functionId: record.functionId,
    eventId: record.eventId,
    from,
    to: record.status,
    attempt: record.attempt,
    at,
    ...(record.error && (record.status === 'failed' || record.status === 'retrying') ? { error: record.error } : {}),
  };
}

/** Applies a machine event to the record; false when the machine forbids it. */
export function apply(record: RunRecord, event: RunMachineEventType): boolean {
  const m = move(record.status, event);
  if (!m) return false;
  record.status = m.to;
  record.machine = m.snapshot;
  return true;
}

/** An ended run leaves no step open: one still sleeping, retrying or waiting is closed as `cancelled` when the run ends. */
export function closeOpenSteps(record: RunRecord, at: number): void {
  for (const id in record.steps) {
    const step = record.steps[id];
    if (step.status === 'succeeded' || step.status === 'failed' || step.status === 'cancelled') continue;
    step.status = 'cancelled';
    step.endedAt = at;
  }
}
