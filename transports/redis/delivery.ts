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

/**
 * The delivery of a stream entry; undefined when the entry comes without
 * fields. Subject-stream entries carry `i` (message id,
 * absent when the publisher gave none: the entry id stands in) and `d`;
 * retry-stream entries add `n`, the delivery count they come back with. Each
 * claim since raises the PEL counter, so deliveryCount = n + timesDelivered - 1.
 */
export function deliveryOf(
  owner: DeliveryOwner,
  subject: string,
  source: Source,
  entryId: string,
  fields: Buffer[] | null,
  timesDelivered: number,
): RedisDelivery | undefined {
  if (!fields) return undefined;
  let msgId: string | undefined;
  let data: Buffer | undefined;
  let base = 1;
  // Fields are told apart by their first byte: no string is made for a name.
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const f = fields[i][0];
    if (f === 0x64 /* d */) data = fields[i + 1];
    else if (f === 0x69 /* i */) msgId = fields[i + 1].toString();
    else if (f === 0x6e /* n */) base = Number(fields[i + 1].toString()) || 1;
  }
  return new RedisDelivery(
    owner,
    source,
    entryId,
    msgId ?? entryId,
    subject,
    data ?? Buffer.alloc(0),
    base + timesDelivered - 1,
    timesDelivered,
  );
}
