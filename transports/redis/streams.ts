/**
 * What every reader of a Redis stream here shares: the reply shape of
 * XREAD / XREADGROUP (as Buffers), an entry's fields by name, and the pause
 * before a failed blocking read is tried again.
 */

/** Per stream key, its entries as [id, [field, value, …]]; null when a BLOCK ran out. */
export type StreamReply = [Buffer, [Buffer, Buffer[]][]][] | null;

export function fieldMap(fields: Buffer[]): Record<string, Buffer | undefined> {
  const out: Record<string, Buffer | undefined> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i].toString()] = fields[i + 1];
  return out;
}

/** Doubles from 50 ms up to 1 s: a read that keeps failing is retried, never in a tight loop. */
export function nextBackoff(previousMs: number): number {
  return Math.min(Math.max(50, previousMs * 2), 1000);
}
