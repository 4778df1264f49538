/**
 * The bucket of slots and start schedules (`<ns>_limits`, a regular
 * JetStream KV bucket, history 1), read and written the way ./kv.ts does:
 * direct get, publish with Nats-Expected-Last-Subject-Sequence. Each key
 * holds one JSON value, its whole state, replaced by compare-and-set on its
 * revision (the stream sequence of its latest write).
 *
 *   slot.<k>       the slots of one key: limit, holders, queue (./slot-state.ts)
 *   index.<n>      lease index shard n: slot key → earliest lease expiry (./lease-index.ts)
 *   rate.<k>       the TAT of one key's start schedule (./rates.ts)
 *
 * `<k>` is the core's key in base64url behind a `k` (so the empty key is a
 * valid token too), or `h` and its SHA-256 when that would be long: any
 * string maps to a valid KV key, and subjects stay short.
 *
 * A key whose state is empty is deleted by compare-and-set (a delete marker
 * written at the revision read). A purge bounded by sequence then removes
 * the marker, and nothing written after it, where a key may come back to
 * revision 0 safely (index shards); slot keys keep their marker (see
 * ./slots.ts).
 */
import { AckPolicy, DeliverPolicy, Empty, headers, nanos, type JetStreamManager, type Msg, type MsgHdrs, type NatsConnection } from 'nats';
import { createHash } from 'node:crypto';
import { TransportError } from '../../core/transport.js';
import { ackInfo } from './acks.js';
import { ackError, readAck, requestError, WRONG_LAST_SEQUENCE } from './errors.js';
import { pullOnce } from './kv.js';

interface BucketContext {
  nc(): NatsConnection;
  jsm(): JetStreamManager;
  request(subject: string, data: Uint8Array, headers: MsgHdrs | undefined, label: string): Promise<Msg>;
  readonly stream: string;
  /** `$KV.<bucket>.` */
  readonly prefix: string;
  readonly timeoutMs: number;
}

/** One key's latest value, as listed by `latestUnder`. */
interface Listed {
  key: string;
  revision: number;
  value: Uint8Array;
}

/** A key's latest value, or none (`revision` is then what a create must expect: 0, or the delete marker's). */
export interface Read {
  value: Uint8Array | undefined;
  revision: number;
}

const EXPECT = 'Nats-Expected-Last-Subject-Sequence';
const LONG = 96;
/** Room left in a message for the headers of a write. */
const HEADROOM = 512;

/** The KV token of a core key (see the module comment). */
export function keyToken(key: string): string {
  const b64 = Buffer.from(key, 'utf8').toString('base64url');
  return b64.length <= LONG ? `k${b64}` : `h${createHash('sha256').update(key, 'utf8').digest('base64url')}`;
}

export class LimitsBucket {
  private readonly getPrefix: string;
  private readonly text = new TextEncoder();

  constructor(private readonly ctx: BucketContext) {
    this.getPrefix = `$JS.API.DIRECT.GET.${ctx.stream}.${ctx.prefix}`;
  }

  async read(key: string): Promise<Read> {
    const what = `reading limit state "${key}"`;
    let msg: Msg;
    try {
      msg = await this.ctx.request(this.getPrefix + key, Empty, undefined, what);
    } catch (e) {
      throw requestError(e, what, this.ctx.timeoutMs);
    }
    const h = msg.headers;
    if (h?.hasError) {
      if (h.code === 404) return { value: undefined, revision: 0 };
      throw new TransportError(`NATS transport: ${what} failed: ${h.code} ${h.description}`, { code: 'NATS' });
    }
    const revision = Number(h?.get('Nats-Sequence'));
    const op = h?.get('KV-Operation');
    return { value: op === 'DEL' || op === 'PURGE' ? undefined : msg.data, revision };
  }

  /** Writes `value` if the key is still at `expected`: its new revision, or `undefined` when it moved on. */
  write(key: string, value: string, expected: number): Promise<number | undefined> {
    const data = this.text.encode(value);
    const max = this.ctx.nc().info?.max_payload;
    // The whole state of a key is one message (its headers included): a queue that outgrows the server's payload limit cannot be written.
    if (max !== undefined && data.length > max - HEADROOM) {
      return Promise.reject(
        new TransportError(
          `NATS transport: the limit state "${key}" would be ${data.length} bytes, more than fits the server's max_payload of ${max}: too many waiters (or too large wake messages) on one key`,
          { code: 'QUEUE_FULL' },
        ),
      );
    }
    return this.publish(key, data, expected);
  }

  /** Deletes the key if it is still at `expected`, and with `purge` removes its marker too; false when it moved on. */
  async delete(key: string, expected: number, purge: boolean): Promise<boolean> {
    const marker = await this.publish(key, Empty, expected, 'DEL');
    if (marker === undefined) return false;
    // Only tidying: a marker left behind reads as an empty state.
    if (purge) this.purgeUpTo(key, marker).catch(() => undefined);
    return true;
  }

  /** Removes the key's messages up to and including `revision`: a later write survives, and any compare-and-set against the removed revision fails. */
  async purgeUpTo(key: string, revision: number): Promise<void> {
    const what = `tidying limit state "${key}"`;
    const body = this.text.encode(JSON.stringify({ filter: this.ctx.prefix + key, seq: revision + 1 }));
    try {
      await this.ctx.request(`$JS.API.STREAM.PURGE.${this.ctx.stream}`, body, undefined, what);
    } catch (e) {
      throw requestError(e, what, this.ctx.timeoutMs);
    }
  }

  /**
   * The latest value of every key under `prefix` (deleted ones left out),
   * through a short-lived consumer as ./kv.ts lists keys: one pass over the
   * keys that exist, for tidying now and then, never on a call's path.
   */
  async latestUnder(prefix: string): Promise<Listed[]> {
    const what = `listing limit state "${prefix}*"`;
    const latest = new Map<string, Listed | undefined>();
    const stream = this.ctx.stream;
    let name: string | undefined;
    try {
      const jsm = this.ctx.jsm();
      name = (
        await jsm.consumers.add(stream, {
          filter_subject: `${this.ctx.prefix}${prefix}>`,
          deliver_policy: DeliverPolicy.LastPerSubject,
          ack_policy: AckPolicy.None,
          mem_storage: true,
          inactive_threshold: nanos(30_000),
        })
      ).name;
      const next = `$JS.API.CONSUMER.MSG.NEXT.${stream}.${name}`;
      const batch = 1_000;
      for (;;) {
        const got = await pullOnce(this.ctx.nc(), next, batch, this.ctx.timeoutMs, (msg) => {
          const key = msg.subject.slice(this.ctx.prefix.length);
          const revision = ackInfo(msg).streamSeq;
          const seen = latest.get(key);
          if (seen && seen.revision > revision) return;
          const op = msg.headers?.get('KV-Operation');
          latest.set(key, op === 'DEL' || op === 'PURGE' ? undefined : { key, revision, value: msg.data });
        });
        if (got < batch) break;
      }
    } catch (e) {
      throw requestError(e, what, this.ctx.timeoutMs);
    } finally {
      if (name)
        this.ctx
          .jsm()
          .consumers.delete(stream, name)
          .catch(() => undefined);
    }
    return [...latest.values()].filter((e): e is Listed => e !== undefined);
  }

  private async publish(key: string, data: Uint8Array, expected: number, op?: string): Promise<number | undefined> {
    const what = `writing limit state "${key}"`;
    const h = headers();
    h.set(EXPECT, String(expected));
    if (op) h.set('KV-Operation', op);
    let msg: Msg;
    try {
      msg = await this.ctx.request(this.ctx.prefix + key, data, h, what);
    } catch (e) {
      throw requestError(e, what, this.ctx.timeoutMs);
    }
    const ack = readAck(msg);
    if (ack.error) {
      if (ack.error.err_code === WRONG_LAST_SEQUENCE) return undefined;
      throw ackError(ack, what);
    }
    return ack.seq;
  }
}

/**
 * Runs the calls for one key one after another within this process, so its
 * own callers never race each other's compare-and-set; other processes still
 * can, and the retry loops handle those.
 */
export class PerKey {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const done = before.then(work, work);
    const tail = done.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return done;
  }
}

/** How often a compare-and-set is tried before the call gives up: enough for a few processes racing on one key. */
export const ATTEMPTS = 50;

/** A short random pause between attempts, so racing processes fall out of step. */
export function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(50, 2 + attempt * 2);
  return new Promise((r) => setTimeout(r, ms));
}

export function contended(what: string): TransportError {
  return new TransportError(
    `NATS transport: ${what} lost its compare-and-set ${ATTEMPTS} times in a row; too many processes write this key at once`,
    {
      code: 'NATS',
    },
  );
}
