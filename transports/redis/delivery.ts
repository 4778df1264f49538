/**
 * One delivery of one message to one consumer. A class rather than closures:
 * thousands are created per second and the methods live on the prototype.
 */
import type { Delivery, StoreWrite } from '../../core/transport.js';

/** What a delivery needs from its consumer to settle. */
export interface DeliveryOwner {
  ack(d: RedisDelivery, write?: StoreWrite): Promise<boolean>;
  retry(d: RedisDelivery, delayMs: number, write?: StoreWrite): Promise<boolean>;
  deadLetter(d: RedisDelivery, reason: string): Promise<void>;
  working(d: RedisDelivery): Promise<void>;
}

/** Where an entry was read: 0 the subject stream (shared by every group), 1 the group's own retry stream. */
export type Source = 0 | 1;

export class RedisDelivery implements Delivery {
  /** Acked, retried, dead-lettered or handed back: later calls do nothing. */
  settled = false;
  /** Counts against the consumer's concurrency until settled or its handler returns. */
  holdsSlot = false;

  constructor(
    private readonly owner: DeliveryOwner,
    readonly source: Source,
    /** Stream entry id, the handle for XACK. */
    readonly entryId: string,
    readonly id: string,
    readonly subject: string,
    readonly data: Uint8Array,
    readonly deliveryCount: number,
    /** The PEL delivery counter this delivery was handed with: identifies its lease. */
    readonly timesDelivered: number,
  ) {}

  ack(write?: StoreWrite): Promise<boolean> {
    return this.owner.ack(this, write);
  }

  retry(delayMs: number, write?: StoreWrite): Promise<boolean> {
    return this.owner.retry(this, delayMs, write);
  }

  deadLetter(reason: string): Promise<void> {
    return this.owner.deadLetter(this, reason);
  }

  working(): Promise<void> {
    return this.owner.working(this);
  }
}
