/**
 * @module
 * Messages of a namespace: publishing (dedup, delay, one delivery row per
 * group of the subject), joining a group (it starts from what the subject
 * still holds), history, and dead letters. Each write is one `BEGIN
 * IMMEDIATE` transaction, so a group created by one process while another
 * publishes either sees the message in the subject or gets its row.
 *
 * A subject keeps its newest `maxHistory` messages for `history` and for
 * groups created later; an older one goes only once no group still holds a
 * delivery of it, so trimming never loses work.
 */
import type { Backlog, DeadLetter, HistoryEntry, PublishOptions } from '../../core/transport.js';
import type { SharedFile } from './shared-file.js';
import { asBuffer } from './store.js';

export interface MessageLimits {
  maxHistory: number;
  dedupWindowMs: number;
  maxDeadLetters: number;
}

/** Trimming is looked at every this many publishes of a subject in this process, so it costs nothing per publish. */
const trimEvery = 256;

export class Messages {
  private readonly publishInBatch;
  private readonly joinTx;
  private readonly trimInBatch;
  private readonly sinceTrim = new Map<string, number>();

  constructor(
    private readonly file: SharedFile,
    private readonly ns: string,
    private readonly limits: MessageLimits,
  ) {
    this.publishInBatch = (subject: string, data: Uint8Array, options: PublishOptions) => this.insert(subject, data, options);
    this.joinTx = file.db.transaction((subject: string, group: string) => {
      const { changes } = file
        .stmt(`INSERT INTO groups (ns, subject, name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
        .run(ns, subject, group);
      if (changes === 0) return;
      file
        .stmt(
          `INSERT INTO deliveries (ns, subject, grp, msg_seq, available_at)
           SELECT ns, subject, ?, seq, ? FROM messages WHERE ns = ? AND subject = ? ORDER BY seq`,
        )
        .run(group, Date.now(), ns, subject);
    });
    this.trimInBatch = (subject: string) => {
      const oldestKept = file
        .stmt(`SELECT seq FROM messages WHERE ns = ? AND subject = ? ORDER BY seq DESC LIMIT 1 OFFSET ?`)
        .pluck()
        .get(ns, subject, limits.maxHistory - 1) as number | undefined;
      if (oldestKept === undefined) return;
      file
        .stmt(
          `DELETE FROM messages WHERE seq IN (
             SELECT seq FROM messages m WHERE ns = ? AND subject = ? AND seq < ?
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.msg_seq = m.seq) ORDER BY seq LIMIT 2000)`,
        )
        .run(ns, subject, oldestKept);
    };
  }

  /** Publishes (in this tick's write batch); true when `msgId` was seen within the dedup window and nothing was enqueued. */
  async publish(subject: string, data: Uint8Array, options: PublishOptions): Promise<boolean> {
    const duplicate = await this.file.write('publish', () => this.publishInBatch(subject, data, options));
    if (!duplicate) {
      this.file.touched('messages');
      const n = (this.sinceTrim.get(subject) ?? 0) + 1;
      this.sinceTrim.set(subject, n % trimEvery);
      // Trimming rides with the next batch; a failure is tried again at the next round.
      if (n === trimEvery) this.file.write('trim history', () => this.trimInBatch(subject)).catch(() => undefined);
    }
    return duplicate;
  }

  /**
   * Inserts a message and its deliveries inside the caller's transaction (a publish's, or a slot's wake-up);
   * true for a duplicate. The caller tells the file it was touched.
   */
  insert(subject: string, data: Uint8Array, { msgId, delayMs = 0, freshId }: PublishOptions): boolean {
    const now = Date.now();
    const { file, ns } = this;
    if (msgId !== undefined && !freshId) {
      const seen = file.stmt(`SELECT expires_at FROM dedup WHERE ns = ? AND subject = ? AND msg_id = ?`).pluck().get(ns, subject, msgId) as
        number | undefined;
      if (seen !== undefined && seen > now) return true;
      file
        .stmt(`INSERT OR REPLACE INTO dedup (ns, subject, msg_id, expires_at) VALUES (?, ?, ?, ?)`)
        .run(ns, subject, msgId, now + this.limits.dedupWindowMs);
    }
    const seq = file
      .stmt(`INSERT INTO messages (ns, subject, msg_id, data, at) VALUES (?, ?, ?, ?, ?)`)
      .run(ns, subject, msgId ?? null, asBuffer(data), now).lastInsertRowid;
    file
      .stmt(
        `INSERT INTO deliveries (ns, subject, grp, msg_seq, available_at)
         SELECT ns, subject, name, ?, ? FROM groups WHERE ns = ? AND subject = ?`,
      )
      .run(seq, now + Math.max(0, delayMs), ns, subject);
    return false;
  }

  /** Creates `group` on `subject` if it is new, with a delivery for every message the subject still holds. */
  async join(subject: string, group: string): Promise<void> {
    // In the write batch, which asks for the lock again from a timer: SQLite's own busy handler sleeps ever longer
    // between tries and could lose every one of them to processes writing all the time (seen with both workers and a
    // producer started at once on a busy file).
    await this.file.write('consume', () => this.joinTx(subject, group));
    this.file.touched('messages');
  }

  history(subject: string, limit: number): HistoryEntry[] {
    const rows = this.file
      .stmt(`SELECT seq, msg_id, data, at FROM messages WHERE ns = ? AND subject = ? ORDER BY seq DESC LIMIT ?`)
      .all(this.ns, subject, limit) as { seq: number; msg_id: string | null; data: Buffer; at: number }[];
    return rows.map((r) => ({ id: r.msg_id ?? `m${r.seq}`, data: r.data, at: r.at }));
  }

  /** Records a dead letter inside the caller's transaction; the oldest go (every hundredth letter) beyond `maxDeadLetters`. */
  addDeadLetter(letter: DeadLetter): void {
    const { file, ns } = this;
    file
      .stmt(`INSERT INTO dead_letters (ns, msg_id, subject, grp, reason, data, at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(ns, letter.id, letter.subject, letter.group, letter.reason, asBuffer(letter.data), letter.at);
    if (++this.sinceDeadTrim < 100) return;
    this.sinceDeadTrim = 0;
    file
      .stmt(`DELETE FROM dead_letters WHERE ns = ? AND id < (SELECT id FROM dead_letters WHERE ns = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`)
      .run(ns, ns, this.limits.maxDeadLetters - 1);
  }

  private sinceDeadTrim = 0;

  deadLetterCount(): number {
    return this.file.stmt(`SELECT count(*) FROM dead_letters WHERE ns = ?`).pluck().get(this.ns) as number;
  }

  /** A lease that ran out is claimable again, so it counts as ready, as it is for the consumers. */
  backlog(subject: string, group: string): Backlog {
    const now = Date.now();
    const row = this.file
      .stmt(
        `SELECT coalesce(sum(available_at <= ?), 0) AS ready, coalesce(sum(available_at > ? AND owner IS NULL), 0) AS delayed,
                coalesce(sum(available_at > ? AND owner IS NOT NULL), 0) AS inFlight
         FROM deliveries WHERE ns = ? AND subject = ? AND grp = ?`,
      )
      .get(now, now, now, this.ns, subject, group) as Backlog;
    return { ready: row.ready, delayed: row.delayed, inFlight: row.inFlight };
  }

  deadLetters(limit: number): DeadLetter[] {
    const rows = this.file
      .stmt(`SELECT msg_id, subject, grp, reason, data, at FROM dead_letters WHERE ns = ? ORDER BY id DESC LIMIT ?`)
      .all(this.ns, limit) as { msg_id: string; subject: string; grp: string; reason: string; data: Buffer; at: number }[];
    return rows.map((r) => ({ id: r.msg_id, subject: r.subject, group: r.grp, reason: r.reason, data: r.data, at: r.at }));
  }
}

/** Forgets message ids past their dedup window (every namespace of the file), a batch at a time. */
export function sweepDedup(file: SharedFile): boolean {
  return (
    file
      .stmt(`DELETE FROM dedup WHERE (ns, subject, msg_id) IN (SELECT ns, subject, msg_id FROM dedup WHERE expires_at <= ? LIMIT 5000)`)
      .run(Date.now()).changes === 5000
  );
}
