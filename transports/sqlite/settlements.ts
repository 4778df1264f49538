/**
 * @module
 * How a claimed delivery settles. A claim stamps its rows with an owner
 * token of its own, and every settlement names it: an ack from a worker
 * whose lease lapsed (and whose delivery another worker claimed since)
 * changes nothing of the new claim. A store write that travels with an ack
 * or a retry is in the same transaction, so the record and the ack commit
 * together or not at all.
 */
import type { StoreWrite } from '../../core/transport.js';
import type { Messages } from './messages.js';
import type { SharedFile } from './shared-file.js';
import type { KvWrites } from './store.js';

export interface Claimed {
  id: number;
  owner: string;
}

export class Settlements {
  private readonly ackInBatch;
  private readonly retryInBatch;
  private readonly deadInBatch;

  constructor(
    private readonly file: SharedFile,
    kv: KvWrites,
    messages: Messages,
  ) {
    const remove = file.stmt(`DELETE FROM deliveries WHERE id = ? AND owner = ?`);
    const giveBack = file.stmt(`UPDATE deliveries SET owner = NULL, available_at = ? WHERE id = ? AND owner = ?`);
    this.ackInBatch = (c: Claimed, write: StoreWrite | undefined) => {
      const now = Date.now();
      if (write && !kv.write(write, now)) return false;
      remove.run(c.id, c.owner);
      return true;
    };
    this.retryInBatch = (c: Claimed, delayMs: number, write: StoreWrite | undefined) => {
      const now = Date.now();
      if (write && !kv.write(write, now)) return false;
      giveBack.run(now + Math.max(0, delayMs), c.id, c.owner);
      return true;
    };
    this.deadInBatch = (c: Claimed, letter: { id: string; subject: string; group: string; reason: string; data: Uint8Array }) => {
      if (remove.run(c.id, c.owner).changes === 0) return;
      messages.addDeadLetter({ ...letter, at: Date.now() });
    };
  }

  ack(c: Claimed, write?: StoreWrite): Promise<boolean> {
    return this.file.write('ack', () => this.ackInBatch(c, write));
  }

  async retry(c: Claimed, delayMs: number, write?: StoreWrite): Promise<boolean> {
    const ok = await this.file.write('retry', () => this.retryInBatch(c, delayMs, write));
    if (ok && delayMs <= 0) this.file.touched('messages');
    return ok;
  }

  deadLetter(c: Claimed, letter: { id: string; subject: string; group: string; reason: string; data: Uint8Array }): Promise<void> {
    return this.file.write('deadLetter', () => this.deadInBatch(c, letter));
  }

  /** Restarts the lease; false when the claim is no longer this owner's. */
  working(c: Claimed, ackWaitMs: number): Promise<boolean> {
    const renew = this.file.stmt(`UPDATE deliveries SET available_at = ? WHERE id = ? AND owner = ?`);
    return this.file.write('working', () => renew.run(Date.now() + ackWaitMs, c.id, c.owner).changes > 0);
  }

  /** Hands deliveries back for any member to claim at once (a consumer that stops). */
  handBack(claims: Claimed[]): void {
    if (claims.length === 0) return;
    const giveBack = this.file.stmt(`UPDATE deliveries SET owner = NULL, available_at = ? WHERE id = ? AND owner = ?`);
    this.file.waiting(() =>
      this.file.db
        .transaction(() => {
          const now = Date.now();
          for (const c of claims) giveBack.run(now, c.id, c.owner);
        })
        .immediate(),
    );
    this.file.touched('messages');
  }
}
