/**
 * @module
 * One member of a consumer group. It claims deliveries whose time has come
 * (`available_at <= now`) in a `BEGIN IMMEDIATE` transaction, leasing each
 * for `ackWaitMs`, and claims again when:
 * - the file changed (a publish of this process at once; another process's
 *   commit at the next poll of `data_version`);
 * - one of its handlers settled, freeing room;
 * - the earliest row of its group comes due (a delay, a retry, or another
 *   worker's lease running out), on one timer per member.
 * Nothing runs per waiting message, and an idle member costs no query
 * until something changes or comes due.
 *
 * Members of a group in other processes would never get a burst that one
 * member sees first and could take whole, so a member takes its share of
 * what is ready (ready ÷ members alive, from a heartbeat table) and leaves
 * the rest for `pollMaxMs`, the longest another process takes to notice;
 * what is still there then, it takes. A member alone takes everything.
 */
import { randomBytes } from 'node:crypto';
import { settledWithin } from '../../core/lib/bounded.js';
import type { Consumer, ConsumeOptions, Delivery, DeliveryHandler, StoreWrite } from '../../core/transport.js';
import type { Claimed, Settlements } from './settlements.js';
import type { SharedFile } from './shared-file.js';

interface Row {
  id: number;
  msg_seq: number;
  delivery_count: number;
}

/** Longest a due timer is set for; past it the member simply looks again. */
const maxTimerMs = 60_000;
/** How often a member says it is alive; one silent for three of these no longer counts (killed without a word). */
const heartbeatMs = 2_000;

export class SqliteConsumer implements Consumer {
  private active = 0;
  private stopped = false;
  private pullScheduled = false;
  private dueTimer: ReturnType<typeof setTimeout> | undefined;
  private dueAt = Infinity;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly running = new Set<Promise<void>>();
  readonly inflight = new Set<SqliteDelivery>();
  private readonly owner = `${process.pid}.${randomBytes(6).toString('hex')}`;
  private claims = 0;
  private readonly claimInBatch;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  /** After taking only its share, the member leaves the rest to others until then. */
  private holdUntil = 0;

  constructor(
    private readonly file: SharedFile,
    private readonly ns: string,
    readonly subject: string,
    readonly group: string,
    private readonly handler: DeliveryHandler,
    private readonly options: ConsumeOptions,
    readonly settlements: Settlements,
    private readonly onError: (err: unknown) => void,
    private readonly onStop: (c: SqliteConsumer) => void,
  ) {
    const claim = file.stmt(
      `UPDATE deliveries SET owner = ?, available_at = ?, delivery_count = delivery_count + 1
       WHERE id IN (SELECT id FROM deliveries WHERE ns = ? AND subject = ? AND grp = ? AND available_at <= ? ORDER BY available_at, id LIMIT ?)
       RETURNING id, msg_seq, delivery_count`,
    );
    const message = file.stmt(`SELECT msg_id, data FROM messages WHERE seq = ?`);
    this.claimInBatch = (owner: string, now: number, max: number) => {
      const rows = claim.all(owner, now + options.ackWaitMs, ns, subject, group, now, max) as Row[];
      rows.sort((a, b) => a.msg_seq - b.msg_seq);
      return rows.map((r) => ({ row: r, msg: message.get(r.msg_seq) as { msg_id: string | null; data: Buffer } }));
    };
  }

  /** Joins the group's members and claims what is ready. */
  start(): void {
    this.heartbeat();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), heartbeatMs);
    this.heartbeatTimer.unref();
    this.wake();
  }

  private heartbeat(): void {
    const seen = this.file.stmt(`INSERT OR REPLACE INTO members (ns, subject, grp, member, seen_at) VALUES (?, ?, ?, ?, ?)`);
    this.file.write('heartbeat', () => seen.run(this.ns, this.subject, this.group, this.owner, Date.now())).catch(this.onError);
  }

  /** Members of the group alive now: a few rows of an index, read at every claim so a member that just joined counts. */
  private alive(now: number): number {
    const n = this.file
      .stmt(`SELECT count(*) FROM members WHERE ns = ? AND subject = ? AND grp = ? AND seen_at > ?`)
      .pluck()
      .get(this.ns, this.subject, this.group, now - 3 * heartbeatMs) as number;
    return Math.max(1, n);
  }

  /** Claims at once if there is room; later ones come through `wake`. */
  wake(): void {
    if (this.stopped || this.pullScheduled) return;
    this.pullScheduled = true;
    setImmediate(this.pull);
  }

  private readonly pull = () => {
    this.pullScheduled = false;
    if (this.stopped) return;
    const free = Math.max(1, this.options.concurrency) - this.active;
    if (free <= 0) return;
    const now = Date.now();
    if (now < this.holdUntil) return this.armDueIn(this.holdUntil - now);
    try {
      const members = this.alive(now);
      // A read first: most wake-ups find nothing for this group, and a read takes no lock.
      const ready = this.file
        .stmt(`SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE ns = ? AND subject = ? AND grp = ? AND available_at <= ? LIMIT ?)`)
        .pluck()
        .get(this.ns, this.subject, this.group, now, members > 1 ? free * members : 1) as number;
      if (ready === 0) return this.armDue();
      const take = members > 1 ? Math.min(free, Math.ceil(ready / members)) : free;
      const owner = `${this.owner}.${++this.claims}`;
      // The claim rides in this tick's write batch, with the acks that made room for it; its room is kept meanwhile.
      this.active += take;
      this.file
        .write('claim', () => this.claimInBatch(owner, Date.now(), take))
        .then(
          (claimed) => {
            this.active -= take;
            if (this.stopped) return this.giveBack(claimed.map(({ row }) => ({ id: row.id, owner })));
            for (const { row, msg } of claimed) this.dispatch(row, msg.msg_id ?? `m${row.msg_seq}`, msg.data, owner);
            if (take < Math.min(free, ready)) {
              this.holdUntil = Date.now() + this.file.pollMaxMs;
              this.armDueIn(this.file.pollMaxMs);
            } else if (claimed.length < take) this.armDue();
            else this.wake();
          },
          (err: unknown) => {
            this.active -= take;
            this.failed(err);
          },
        );
    } catch (err) {
      this.failed(err);
    }
  };

  /** Claims that came back after the member stopped go back to the group at once. */
  private giveBack(claims: Claimed[]): void {
    try {
      this.settlements.handBack(claims);
    } catch (err) {
      // Their leases run out instead, and they come back after ackWaitMs.
      this.onError(err);
    }
  }

  private failed(err: unknown): void {
    this.onError(err);
    // The file was busy past busy_timeout: look again a little later rather than never.
    this.armDueIn(100);
  }

  private armDue(): void {
    const next = this.file
      .stmt(`SELECT min(available_at) FROM deliveries WHERE ns = ? AND subject = ? AND grp = ?`)
      .pluck()
      .get(this.ns, this.subject, this.group) as number | null;
    if (next === null) return;
    this.armDueIn(next - Date.now());
  }

  private armDueIn(ms: number): void {
    const wait = Math.min(Math.max(1, ms), maxTimerMs);
    const at = Date.now() + wait;
    if (at >= this.dueAt) return;
    if (this.dueTimer) clearTimeout(this.dueTimer);
    this.dueAt = at;
    this.dueTimer = setTimeout(() => {
      this.dueTimer = undefined;
      this.dueAt = Infinity;
      this.wake();
    }, wait);
  }

  private dispatch(row: Row, id: string, data: Uint8Array, owner: string): void {
    const delivery = new SqliteDelivery(this, { id: row.id, owner }, id, data, row.delivery_count);
    this.inflight.add(delivery);
    this.active++;
    this.armAckTimer();
    const run = (async () => {
      try {
        await this.handler(delivery);
      } catch {
        // An unsettled delivery whose handler threw comes back after its ack wait, as on a broker.
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Frees the room a delivery took; false when it was freed already. */
  settled(d: SqliteDelivery): boolean {
    if (!this.inflight.delete(d)) return false;
    this.active--;
    this.wake();
    return true;
  }

  // A delivery whose handler neither settles nor signs life loses its lease in the file; here it stops taking room.
  private armAckTimer(): void {
    if (this.ackTimer) return;
    this.ackTimer = setTimeout(
      () => {
        this.ackTimer = undefined;
        const now = Date.now();
        for (const d of [...this.inflight]) if (d.deadline <= now) this.settled(d);
        if (this.inflight.size > 0) this.armAckTimer();
      },
      Math.max(5, Math.floor(this.options.ackWaitMs / 4)),
    );
  }

  get ackWaitMs(): number {
    return this.options.ackWaitMs;
  }

  async stop({ timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.dueTimer) clearTimeout(this.dueTimer);
    clearInterval(this.heartbeatTimer);
    this.onStop(this);
    await settledWithin(Promise.all(this.running), timeoutMs);
    if (this.ackTimer) clearTimeout(this.ackTimer);
    const unsettled = [...this.inflight];
    this.inflight.clear();
    try {
      // Whatever is still unsettled goes back to the group at once, for another member (or a later start).
      this.settlements.handBack(unsettled.map((d) => d.claim));
      const gone = this.file.stmt(`DELETE FROM members WHERE ns = ? AND subject = ? AND grp = ? AND member = ?`);
      this.file.write('leave', () => gone.run(this.ns, this.subject, this.group, this.owner)).catch(this.onError);
    } catch (err) {
      // Could not hand back (file busy or closed): the leases run out and the deliveries come back after ackWaitMs.
      this.onError(err);
    }
  }
}

/** A prototype-method delivery: thousands per second, so no closures per delivery. */
class SqliteDelivery implements Delivery {
  readonly subject: string;
  deadline: number;
  constructor(
    private readonly consumer: SqliteConsumer,
    readonly claim: Claimed,
    readonly id: string,
    readonly data: Uint8Array,
    readonly deliveryCount: number,
  ) {
    this.subject = consumer.subject;
    this.deadline = Date.now() + consumer.ackWaitMs;
  }
  async ack(write?: StoreWrite): Promise<boolean> {
    if (!(await this.consumer.settlements.ack(this.claim, write))) return false;
    this.consumer.settled(this);
    return true;
  }
  async retry(delayMs: number, write?: StoreWrite): Promise<boolean> {
    if (!(await this.consumer.settlements.retry(this.claim, delayMs, write))) return false;
    this.consumer.settled(this);
    return true;
  }
  async deadLetter(reason: string): Promise<void> {
    const { id, subject, data } = this;
    await this.consumer.settlements.deadLetter(this.claim, { id, subject, group: this.consumer.group, reason, data });
    this.consumer.settled(this);
  }
  async working(): Promise<void> {
    if (await this.consumer.settlements.working(this.claim, this.consumer.ackWaitMs)) this.deadline = Date.now() + this.consumer.ackWaitMs;
  }
}
