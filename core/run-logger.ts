/**
 * @module
 * The handler's `logger`: lines are kept with the run (bounded) and passed
 * on to the runtime's logger. While a retried attempt replays steps that
 * already completed, the code between them runs again; its lines were kept
 * the first time, so they are dropped rather than written twice. So are the
 * lines the code after the furthest step logs again, as long as they repeat
 * what an earlier attempt kept there.
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
  /** The line repeats one an earlier attempt kept (the code after the furthest step running again). */
  repeats(line: Pick<LogLine, 'level' | 'message' | 'fields'>): boolean;
  now(): number;
  markDirty(): void;
}

export function createRunLogger(sink: RunLogSink, forward: Logger, maxLines: number): RunLogger {
  const line = (level: LogLine['level']) => (message: string, fields?: Record<string, unknown>) => {
    if (sink.replaying || sink.finished || sink.repeats({ level, message: String(message), fields })) return;
    const { record } = sink;
    if (record.logs.length < maxLines) {
      record.logs.push({ level, message: String(message), ...(fields ? { fields } : {}), at: sink.now(), attempt: record.attempt });
      sink.markDirty();
    } else record.logsDropped++;
    forward[level](message, { ...fields, runId: record.id, functionId: record.functionId, attempt: record.attempt });
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
