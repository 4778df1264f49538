/**
 * Reading back what a stream kept, newest first: a subject's messages (its
 * history) and the namespace's dead letters.
 */
import type { DeadLetter, HistoryEntry } from '../../core/transport.js';
import { transportError } from './connection.js';
import type { Keys } from './keys.js';
import type { ScriptedRedis } from './scripts/index.js';
import { fieldMap } from './streams.js';

export async function readHistory(
  cmd: ScriptedRedis,
  keys: Keys,
  subject: string,
  limit: number,
  timeoutMs: number,
): Promise<HistoryEntry[]> {
  if (limit <= 0) return [];
  const entries = await cmd.xrevrangeBuffer(keys.subject(subject).stream, '+', '-', 'COUNT', Math.floor(limit)).catch((err) => {
    throw transportError(err, `history(${JSON.stringify(subject)})`, timeoutMs);
  });
  return entries.map(([rawId, fields]) => {
    const entryId = rawId.toString();
    const f = fieldMap(fields);
    return { id: f.i?.toString() ?? entryId, data: f.d ?? Buffer.alloc(0), at: entryTime(entryId) };
  });
}

export async function readDeadLetters(cmd: ScriptedRedis, stream: string, limit: number, timeoutMs: number): Promise<DeadLetter[]> {
  if (limit <= 0) return [];
  const entries = await cmd.xrevrangeBuffer(stream, '+', '-', 'COUNT', Math.floor(limit)).catch((err) => {
    throw transportError(err, 'deadLetters', timeoutMs);
  });
  return entries.map(([rawId, fields]) => {
    const f = fieldMap(fields);
    return {
      id: f.i?.toString() ?? '',
      subject: f.s?.toString() ?? '',
      group: f.g?.toString() ?? '',
      reason: f.r?.toString() ?? '',
      data: f.d ?? Buffer.alloc(0),
      at: entryTime(rawId.toString()),
    };
  });
}

/** A stream entry id starts with the server time in ms at which Redis accepted it. */
function entryTime(entryId: string): number {
  return Number(entryId.slice(0, entryId.indexOf('-')));
}
