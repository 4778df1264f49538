/**
 * @module
 * Broadcast and watch on a change table: a broadcast is a row, and each
 * watch reads the rows of its channel after the last one it saw, whenever
 * the file changes (at once for this process's broadcasts, at the next poll
 * of `data_version` for another's). A watch starts after the newest row, so
 * it sees what is broadcast from then on. Rows older than `keepMs` are
 * deleted by the file's sweep: a watcher that falls that far behind misses
 * them, as broadcasts promise no durability.
 */
import type { SharedFile } from './shared-file.js';
import { asBuffer } from './store.js';

interface Watch {
  channel: string;
  listener: (data: Uint8Array) => void;
  after: number;
}

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

  watch(channel: string, listener: (data: Uint8Array) => void): () => void {
    const after = (this.file.stmt(`SELECT max(seq) FROM broadcasts`).pluck().get() as number | null) ?? 0;
    const w: Watch = { channel, listener, after };
    this.watches.add(w);
    return () => void this.watches.delete(w);
  }

  /** Hands every watch the rows it has not seen, in order. */
  read(): void {
    const rows = this.file.stmt(`SELECT seq, data FROM broadcasts WHERE ns = ? AND channel = ? AND seq > ? ORDER BY seq LIMIT 1000`);
    for (const w of [...this.watches]) {
      let got: { seq: number; data: Buffer }[];
      do {
        try {
          got = rows.all(this.ns, w.channel, w.after) as { seq: number; data: Buffer }[];
        } catch (err) {
          this.onError(err);
          break;
        }
        for (const row of got) {
          w.after = row.seq;
          if (!this.watches.has(w)) break;
          try {
            w.listener(row.data);
          } catch {
            // A watcher's failure is its own; the others still get the row.
          }
        }
      } while (got.length === 1000 && this.watches.has(w));
    }
  }
}

/** Deletes broadcasts older than `keepMs` (every namespace of the file), a batch at a time. */
export function sweepBroadcasts(file: SharedFile, keepMs: number): boolean {
  return (
    file
      .stmt(`DELETE FROM broadcasts WHERE seq IN (SELECT seq FROM broadcasts WHERE at < ? ORDER BY at LIMIT 5000)`)
      .run(Date.now() - keepMs).changes === 5000
  );
}
