/**
 * The key-value store on a JetStream KV bucket (one per namespace).
 *
 * Reads and compare-and-set writes go straight to the bucket's stream
 * (direct get, publish with Nats-Expected-Last-Subject-Sequence) instead of
 * through nats.js' KV object: run records are written several times per
 * run, and this way a lost compare-and-set or a missing key costs no Error
 * object. The bucket itself is created by nats.js, so it is a regular KV
 * bucket any NATS tool can read. A revision is the stream sequence of the
 * key's latest write.
 */
import {
  AckPolicy,
  createInbox,
  DeliverPolicy,
  Empty,
  headers,
  nanos,
  type JetStreamManager,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
} from 'nats';
import type { KVStore, Listing, Revision, StoredValue, WriteOptions } from '../../core/transport.js';
import { TransportError } from '../../core/transport.js';
import { ackInfo } from './acks.js';
import { ackError, readAck, requestError, WRONG_LAST_SEQUENCE } from './errors.js';
import { decodeName, encodeName, filterBase, type Names } from './names.js';
import type { NatsIndexes } from './sorted-index.js';

export interface KvContext {
  nc(): NatsConnection;
  /**
   * A request through the transport's Publisher: nats.js `request()` builds an Error object for every
   * request it completes (about a tenth of a worker's CPU in a profile), the Publisher none.
   */
  request(subject: string, data: Uint8Array, headers: MsgHdrs | undefined, label: string): Promise<Msg>;
  jsm(): JetStreamManager;
  readonly names: Names;
  readonly timeoutMs: number;
}

const EXPECT = 'Nats-Expected-Last-Subject-Sequence';
/** The value's listing travels with it, so a delete or a write from another process knows which entries to take out. */
export const LISTING = 'Eventide-Listing';
/** Listings this process wrote last, by key: a run's next write usually comes from here, and then needs no read. */
const LISTINGS_REMEMBERED = 10_000;

/** The latest entry of a key, deleted or not; `undefined` when the key never existed (or was purged). */
interface Latest {
  deleted: boolean;
  value: Uint8Array;
  revision: Revision;
  listing: Listing | undefined;
}

export const listingHeader = (listing: Listing) => Buffer.from(JSON.stringify(listing), 'utf8').toString('base64url');

function readListing(h: MsgHdrs | undefined): Listing | undefined {
  const raw = h?.get(LISTING);
  return raw ? (JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Listing) : undefined;
}

export class NatsKVStore implements KVStore {
  private readonly getPrefix: string;
  private readonly listings = new Map<string, Listing>();

  constructor(
    private readonly ctx: KvContext,
    private readonly indexes: NatsIndexes,
  ) {
    this.getPrefix = `$JS.API.DIRECT.GET.${ctx.names.kvStream}.${ctx.names.kvPrefix}`;
  }

  private async latest(key: string): Promise<Latest | undefined> {
    let msg: Msg;
    try {
      msg = await this.ctx.request(this.getPrefix + encodeName(key), Empty, undefined, `reading key "${key}"`);
    } catch (e) {
      throw requestError(e, `reading key "${key}"`, this.ctx.timeoutMs);
    }
    const h = msg.headers;
    if (h?.hasError) {
      if (h.code === 404) return undefined;
      throw new TransportError(`NATS transport: reading key "${key}" failed: ${h.code} ${h.description}`, { code: 'NATS' });
    }
    const op = h?.get('KV-Operation');
    return { deleted: op === 'DEL' || op === 'PURGE', value: msg.data, revision: Number(h?.get('Nats-Sequence')), listing: readListing(h) };
  }

  async get(key: string): Promise<StoredValue | undefined> {
    const e = await this.latest(key);
    return e && !e.deleted ? { value: e.value, revision: e.revision } : undefined;
  }

  /** Publishes a write expecting the key at `expected` (0: never written); `undefined` when it is not. */
  private async write(key: string, value: Uint8Array, expected: number, op?: string, listing?: Listing): Promise<Revision | undefined> {
    const h = headers();
    h.set(EXPECT, String(expected));
    if (op) h.set('KV-Operation', op);
    if (listing) h.set(LISTING, listingHeader(listing));
    let msg: Msg;
    try {
      msg = await this.ctx.request(this.ctx.names.kvPrefix + encodeName(key), value, h, `writing key "${key}"`);
    } catch (e) {
      throw requestError(e, `writing key "${key}"`, this.ctx.timeoutMs);
    }
    const ack = readAck(msg);
    if (ack.error) {
      if (ack.error.err_code === WRONG_LAST_SEQUENCE) return undefined;
      throw ackError(ack, `writing key "${key}"`);
    }
    return ack.seq;
  }

  async create(key: string, value: Uint8Array, options?: WriteOptions): Promise<Revision | undefined> {
    const listing = options?.listing;
    const create = async () => {
      const revision = await this.write(key, value, 0, undefined, listing);
      if (revision !== undefined) return revision;
      // A deleted key still has its delete marker as latest entry: creating it again is an update of that marker.
      const e = await this.latest(key);
      return e?.deleted ? this.write(key, value, e.revision, undefined, listing) : undefined;
    };
    if (!listing) return create();
    // A key that does not exist has no entries to take out (a delete took its listing with it).
    return this.remember(key, listing, await this.indexes.around(undefined, listing, create));
  }

  async update(key: string, value: Uint8Array, revision: Revision, options?: WriteOptions): Promise<Revision | undefined> {
    const listing = options?.listing;
    // A delete marker's revision is never handed out by get(), so updating a deleted key always conflicts.
    if (!listing) return this.write(key, value, revision);
    const before = this.listings.get(key) ?? (await this.latest(key))?.listing;
    return this.remember(
      key,
      listing,
      await this.indexes.around(before, listing, () => this.write(key, value, revision, undefined, listing)),
    );
  }

  private remember(key: string, listing: Listing, revision: Revision | undefined): Revision | undefined {
    if (revision === undefined) return undefined;
    this.listings.delete(key);
    if (this.listings.size >= LISTINGS_REMEMBERED) this.listings.delete(this.listings.keys().next().value as string);
    this.listings.set(key, listing);
    return revision;
  }

  async delete(key: string): Promise<void> {
    const listing = this.listings.get(key) ?? (await this.latest(key))?.listing;
    const h = headers();
    h.set('KV-Operation', 'DEL');
    let msg: Msg;
    try {
      msg = await this.ctx.request(this.ctx.names.kvPrefix + encodeName(key), Empty, h, `deleting key "${key}"`);
    } catch (e) {
      throw requestError(e, `deleting key "${key}"`, this.ctx.timeoutMs);
    }
    const ack = readAck(msg);
    if (ack.error) throw ackError(ack, `deleting key "${key}"`);
    this.listings.delete(key);
    // After the delete: a crash between leaves an entry that points at nothing (readers skip it), never a value unlisted.
    if (listing) await this.indexes.remove(listing.member, listing.in);
  }

  /**
   * Lists keys with a short-lived consumer that delivers the last entry of
   * every matching key (headers only), pulled with no_wait until the server
   * says it has nothing more. Not nats.js `kv.keys()`: on nats-server 2.9 it
   * lists a key twice when it is written during the listing, and can wait
   * forever for a pending count that never reaches zero. Here the newest
   * entry seen per key decides, so a key deleted meanwhile is left out.
   */
  async keys(prefix: string): Promise<string[]> {
    const base = filterBase(prefix);
    const nc = this.ctx.nc();
    const stream = this.ctx.names.kvStream;
    const kvPrefix = this.ctx.names.kvPrefix;
    const latest = new Map<string, { seq: number; deleted: boolean }>();
    let name: string | undefined;
    try {
      const jsm = this.ctx.jsm();
      name = (
        await jsm.consumers.add(stream, {
          filter_subject: kvPrefix + (base ? `${base}.>` : '>'),
          deliver_policy: DeliverPolicy.LastPerSubject,
          ack_policy: AckPolicy.None,
          headers_only: true,
          mem_storage: true,
          inactive_threshold: nanos(30_000),
        })
      ).name;
      const next = `$JS.API.CONSUMER.MSG.NEXT.${stream}.${name}`;
      const batch = 1_000;
      for (;;) {
        const got = await pullOnce(nc, next, batch, this.ctx.timeoutMs, (msg) => {
          const seq = ackInfo(msg).streamSeq;
          const key = msg.subject.slice(kvPrefix.length);
          const seen = latest.get(key);
          if (seen && seen.seq > seq) return;
          const op = msg.headers?.get('KV-Operation');
          latest.set(key, { seq, deleted: op === 'DEL' || op === 'PURGE' });
        });
        // Fewer than asked for: the server has sent everything there was.
        if (got < batch) break;
      }
    } catch (e) {
      throw requestError(e, `listing keys "${prefix}*"`, this.ctx.timeoutMs);
    } finally {
      if (name)
        this.ctx
          .jsm()
          .consumers.delete(stream, name)
          .catch(() => undefined);
    }
    const out: string[] = [];
    for (const [encoded, e] of latest) {
      if (e.deleted) continue;
      const key = decodeName(encoded);
      if (key.startsWith(prefix)) out.push(key);
    }
    // The one key the filter cannot match: the prefix itself when it ends in a dot (its last dot is escaped).
    if (base && prefix === `${base}.` && (await this.get(prefix))) out.push(prefix);
    return out;
  }
}

/** One no_wait pull: resolves with how many messages came before the server's closing status. */
export function pullOnce(nc: NatsConnection, next: string, batch: number, timeoutMs: number, onMsg: (msg: Msg) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const inbox = createInbox();
    let got = 0;
    const finish = (err?: Error) => {
      clearTimeout(timer);
      sub.unsubscribe();
      if (err) reject(err);
      else resolve(got);
    };
    const timer = setTimeout(() => finish(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })), timeoutMs);
    const sub = nc.subscribe(inbox, {
      callback: (err, msg) => {
        if (err) return finish(err);
        if (!msg.reply) {
          // 404 No Messages / 408 Request Timeout end a no_wait pull; anything else is a failure.
          const code = msg.headers?.code ?? 0;
          return code === 404 || code === 408 ? finish() : finish(new Error(`${code} ${msg.headers?.description ?? ''}`));
        }
        onMsg(msg);
        if (++got === batch) finish();
      },
    });
    nc.publish(next, JSON.stringify({ batch, no_wait: true }), { reply: inbox });
  });
}
