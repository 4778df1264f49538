/**
 * @module
 * Broadcast and watch on a change table: a broadcast is a row, its position
 * the row's seq, and each watch reads the rows of its channel after the last
 * one it saw, whenever the file changes (at once for this process's
 * broadcasts, at the next poll of `data_version` for another's). A watch
 * starts after the newest row, or after the position it resumes from.
 *
 * Rows older than `keepMs` are deleted by the file's sweep, which first
 * notes, per channel, the newest seq it deleted (in `counters`): seqs are
 * shared by every channel of the file, so only that floor tells a watcher
 * behind it that it missed some.
 */
import { WatchCursor } from '../../core/lib/watch-cursor.js';
import type { WatchOptions } from '../../core/transport.js';
import type { SharedFile } from './shared-file.js';
import { asBuffer } from './store.js';

interface Watch {
  channel: string;
  listener: (data: Uint8Array, position: string) => void;
  cursor: WatchCursor;
}

const floorName = (ns: string, channel: string) => `broadcast-floor:${ns}:${channel}`;

export class Broadcasts {
  private readonly watches = new Set<Watch>();

  constructor(
    private readonly file: SharedFile,
    private readonly ns: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  get watching(): boolean {
    return this.watches.size > 0;
  }

  async broadcast(channel: string, data: Uint8Array): Promise<void> {
    const insert = this.file.stmt(`INSERT INTO broadcasts (ns, channel, data, at) VALUES (?, ?, ?, ?)`);
    await this.file.write('broadcast', () => insert.run(this.ns, channel, asBuffer(data), Date.now()));
    this.file.touched('broadcasts');
  }

  /** Places the watch, replays what it resumes after, and returns where it began and how to stop. */
  watch(channel: string, listener: Watch['listener'], options: WatchOptions | undefined): { position: number; stop: () => void } {
    const newest = (this.file.stmt(`SELECT seq FROM sqlite_sequence WHERE name = 'broadcasts'`).pluck().get() as number | undefined) ?? 0;
    const cursor = new WatchCursor(options, false);
    cursor.begin(newest, this.floor(channel));
    const w: Watch = { channel, listener, cursor };
    const position = cursor.position;
    this.watches.add(w);
    if (options?.after !== undefined) this.readOne(w);
    return { position, stop: () => void this.watches.delete(w) };
  }

  private floor(channel: string): number {
    return (
      (this.file.stmt(`SELECT value FROM counters WHERE name = ?`).pluck().get(floorName(this.ns, channel)) as number | undefined) ?? 0
    );
  }

  /** Hands every watch the rows it has not seen, in order. */
  read(): void {
    for (const w of [...this.watches]) this.readOne(w);
  }

  private readOne(w: Watch): void {
    const rows = this.file.stmt(`SELECT seq, data FROM broadcasts WHERE ns = ? AND channel = ? AND seq > ? ORDER BY seq LIMIT 1000`);
    let got: { seq: number; data: Buffer }[];
    do {
      try {
        w.cursor.behind(this.floor(w.channel));
        got = rows.all(this.ns, w.channel, w.cursor.position) as { seq: number; data: Buffer }[];
      } catch (err) {
        this.onError(err);
        break;
      }
      for (const row of got) {
        if (!this.watches.has(w)) break;
        if (!w.cursor.next(row.seq)) continue;
        try {
          w.listener(row.data, String(row.seq));
        } catch {
          // A watcher's failure is its own; the others still get the row.
        }
      }
    } while (got.length === 1000 && this.watches.has(w));
  }
}

/**
 * Deletes broadcasts older than `keepMs` (every namespace of the file), a batch at a time, raising each channel's
 * floor to the newest seq deleted from it. Runs inside a write transaction.
 */
export function sweepBroadcasts(file: SharedFile, keepMs: number): boolean {
  const cutoff = Date.now() - keepMs;
  const batch = `SELECT seq, ns, channel FROM broadcasts WHERE at < ? ORDER BY at, seq LIMIT 5000`;
  file
    .stmt(
      `INSERT INTO counters (name, value) SELECT 'broadcast-floor:' || ns || ':' || channel, max(seq) FROM (${batch}) WHERE true GROUP BY ns, channel
       ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)`,
    )
    .run(cutoff);
  return file.stmt(`DELETE FROM broadcasts WHERE seq IN (SELECT seq FROM (${batch}))`).run(cutoff).changes === 5000;
}
