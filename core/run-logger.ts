/**
 * @module
 * The handler's `logger`: lines are kept with the run (bounded) and passed
 * on to the runtime's logger. While a retried attempt replays steps that
 * already completed, the code between them runs again; its lines were kept
 * the first time, so they are dropped rather than written twice.
 */
import type { Logger } from './logger.js';
import type { LogLine, RunRecord } from './types.js';

export interface RunLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface RunLogSink {
  readonly record: RunRecord;
  readonly replaying: boolean;
  readonly finished: boolean;
  now(): number;
  markDirty(): void;
}

export function createRunLogger(sink: RunLogSink, forward: Logger, maxLines: number): RunLogger {
  const line = (level: LogLine['level']) => (message: string, fields?: Record<string, unknown>) => {
    if (sink.replaying || sink.finished) return;
    const { record } = sink;
    if (record.logs.length < maxLines) {
      record.logs.push({ level, message: String(message), ...(fields ? { fields } : {}), at: sink.now(), attempt: record.attempt });
      sink.markDirty();
    } else record.logsDropped++;
    forward[level](message, { ...fields, runId: record.id, functionId: record.functionId, attempt: record.attempt });
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
