/**
 * One delivery of one message to one consumer. A class rather than closures:
 * thousands are created per second and the methods live on the prototype.
 */
import type { Delivery, StoreWrite } from '../../core/transport.js';
import type { Source } from './scripts/codes.js';

/** What a delivery needs from its consumer to settle. */
export interface DeliveryOwner {
  ack(d: RedisDelivery, write?: StoreWrite): Promise<boolean>;
  retry(d: RedisDelivery, delayMs: number, write?: StoreWrite): Promise<boolean>;
  deadLetter(d: RedisDelivery, reason: string): Promise<void>;
  working(d: RedisDelivery): Promise<void>;
}

export class RedisDelivery implements Delivery {
  /** Acked, retried, dead-lettered or handed back: later calls do nothing. */
  settled = false;
  /** Counts against the consumer's concurrency until settled or its handler returns. */
  holdsSlot = false;

  constructor(
    private readonly owner: DeliveryOwner,
    /** The stream it was read from, as the scripts that settle it take it. */
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
