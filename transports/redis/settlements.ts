/**
 * What a consumer says to Redis to settle its deliveries: ack, commit (a
 * store write with its ack or retry), requeue, dead-letter, extend a lease.
 * Whether a delivery may still settle is the consumer's to decide; the
 * scripts check its lease. A failure comes back as a TransportError naming
 * the subject and the group.
 */
import type { StoreWrite } from '../../core/transport.js';
import { transportError } from './connection.js';
import type { RedisDelivery } from './delivery.js';
import type { GroupKeys, Keys, SubjectKeys } from './keys.js';
import { Source } from './scripts/codes.js';
import type { ScriptedRedis } from './scripts/index.js';
import { packItems } from './scripts/items.js';
import { asBuffer, expireOf, packListing } from './store.js';
import { TickBatch } from './tick-batch.js';

export type CommitMode = 'ack' | 'retry';

interface Commit {
  d: RedisDelivery;
  write: StoreWrite;
  mode: CommitMode;
  delay: number;
}

const yes = () => true;

export class Settlements {
  /** `on "<subject>"/"<group>"`, for error messages. */
  private readonly where: string;

  constructor(
    private readonly cmd: ScriptedRedis,
    private readonly keys: Keys,
    private readonly subjectKeys: SubjectKeys,
    private readonly groupKeys: GroupKeys,
    private readonly group: string,
    /** The consumer's name in the group: the lease the scripts check. */
    private readonly consumer: string,
    private readonly settings: { readonly maxDeadLetters: number; readonly commandTimeoutMs: number },
  ) {
    this.where = `on ${JSON.stringify(subjectKeys.subject)}/${JSON.stringify(group)}`;
  }

  private sourceKey(d: RedisDelivery): string {
    return d.source === Source.subjectStream ? this.subjectKeys.stream : this.groupKeys.retryStream;
  }

  private failed(what: string) {
    return (err: unknown): never => {
      throw transportError(err, `${what} ${this.where}`, this.settings.commandTimeoutMs);
    };
  }

  ack(d: RedisDelivery): Promise<boolean> {
    if (d.source === Source.retryStream)
      return this.cmd.eventideAckRetried(this.groupKeys.retryStream, this.group, d.entryId).then(yes, this.failed('ack'));
    return this.acks.add(d.entryId).catch(this.failed('ack'));
  }

  /**
   * Acks issued in the same tick (a batch of handlers finishing together) go out as one XACK with
   * many ids: one command for Redis to run instead of one per delivery. A plain XACK, no lease
   * check: even a late ack means the work was done; at worst it settles an entry another consumer
   * now runs, whose own ack then does nothing.
   */
  private readonly acks = new TickBatch<string, boolean>((ids) =>
    this.cmd.xack(this.subjectKeys.stream, this.group, ...ids).then(() => ids.map(yes)),
  );

  /** The store write and the settlement in one script: the write's new revision, or WRITE_LOST (nothing settled). */
  commit(d: RedisDelivery, write: StoreWrite, mode: CommitMode, delay: number): Promise<number> {
    return this.commits.add({ d, write, mode, delay }).catch(this.failed(mode));
  }

  /** One script call for every commit of a tick (see TickBatch). */
  private readonly commits = new TickBatch<Commit, number>((batch) => {
    const k = this.keys;
    const args: (string | Buffer | number)[] = [
      batch.length + 6,
      k.kvIndex,
      k.kvSeq,
      k.kvExpiry,
      this.subjectKeys.stream,
      this.groupKeys.retryDue,
      this.groupKeys.retryStream,
    ];
    const items: (string | Buffer)[] = [];
    for (const { d, write, mode, delay } of batch) {
      args.push(k.kv(write.key));
      const revision = write.revision === undefined ? '' : String(write.revision);
      items.push(
        asBuffer(write.value),
        write.key,
        revision,
        mode,
        d.entryId,
        String(d.timesDelivered),
        String(delay),
        String(d.deliveryCount + 1),
        d.source,
        String(expireOf(write)),
        packListing(write.listing),
      );
    }
    args.push(this.group, this.consumer, Date.now(), k.kv(''), packItems(items));
    return this.cmd.eventideCommit(...args);
  });

  /** Delivers `d` again after `delayMs`, counting one more delivery. */
  retry(d: RedisDelivery, delayMs: number): Promise<number> {
    return this.requeue(d, delayMs, d.deliveryCount + 1).catch(this.failed('retry'));
  }

  /** Hands `d` back at a stop, due now; a failure is left to the caller (the entry comes back after its ack wait anyway). */
  handBack(d: RedisDelivery, nextCount: number): Promise<number> {
    return this.requeue(d, 0, nextCount);
  }

  private requeue(d: RedisDelivery, delayMs: number, nextCount: number): Promise<number> {
    return this.cmd.eventideRequeue(
      this.sourceKey(d),
      this.groupKeys.retryDue,
      this.groupKeys.retryStream,
      this.group,
      this.consumer,
      d.entryId,
      d.timesDelivered,
      delayMs,
      nextCount,
      d.source,
    );
  }

  deadLetter(d: RedisDelivery, reason: string): Promise<number> {
    return this.cmd
      .eventideDeadLetter(
        this.sourceKey(d),
        this.keys.deadLetters,
        this.group,
        this.consumer,
        d.entryId,
        d.timesDelivered,
        String(reason),
        this.subjectKeys.subject,
        this.settings.maxDeadLetters,
        d.source,
      )
      .catch(this.failed('deadLetter'));
  }

  extendLease(d: RedisDelivery): Promise<number> {
    return this.cmd
      .eventideExtendLease(this.sourceKey(d), this.group, this.consumer, d.entryId, d.timesDelivered)
      .catch(this.failed('working'));
  }
}
