/**
 * The key-value store: one hash per key ({ v: value, r: revision }), with
 * create and update as compare-and-set scripts (batched per tick). A lex-ordered index set makes
 * `keys(prefix)` a range read that works on Redis Cluster (no SCAN across nodes).
 */
import type { Indexes, KVStore, Listing, Revision, StoredValue, WriteOptions } from '../../core/transport.js';
import { transportError } from './connection.js';
import type { Keys } from './keys.js';
import { WRITE_LOST } from './scripts/codes.js';
import type { ScriptedRedis } from './scripts/index.js';
import { packItems } from './scripts/items.js';
import { TickBatch } from './tick-batch.js';

const PAGE = 1000;
/** Never inside a UTF-8 string, so `prefix + 0xFF` bounds every key that starts with `prefix`. */
const HIGH = Buffer.from([0xff]);

interface Write {
  key: string;
  value: Buffer;
  /** '' creates. */
  expected: Revision | '';
  /** 0: never. */
  expireMs: number;
  /** '': unchanged. */
  listing: Buffer | '';
}

export class RedisKVStore implements KVStore {
  /** Values written with `expireMs` get a Redis TTL: they go even if every process restarts meanwhile. */
  readonly expires = true;
  /** Writes made in one tick travel as one script call. */
  private readonly writes: TickBatch<Write, number>;

  constructor(
    private readonly cmd: ScriptedRedis,
    private readonly keysOf: Keys,
    private readonly timeoutMs: number,
  ) {
    this.writes = new TickBatch((batch) => {
      const args: (string | Buffer | number)[] = [batch.length + 3, keysOf.kvIndex, keysOf.kvSeq, keysOf.kvExpiry];
      const items: (string | Buffer)[] = [];
      for (const w of batch) {
        args.push(keysOf.kv(w.key));
        items.push(w.value, w.key, String(w.expected), String(w.expireMs), w.listing);
      }
      args.push(Date.now(), keysOf.kv(''), packItems(items));
      return cmd.eventideKvWrite(...args);
    });
  }

  private fail(what: string, key: string) {
    return (err: unknown): never => {
      throw transportError(err, `store.${what}(${JSON.stringify(key)})`, this.timeoutMs);
    };
  }

  async get(key: string): Promise<StoredValue | undefined> {
    const [value, revision] = await this.cmd.hmgetBuffer(this.keysOf.kv(key), 'v', 'r').catch(this.fail('get', key));
    if (value === null || revision === null) return undefined;
    return { value, revision: Number(revision.toString()) };
  }

  async create(key: string, value: Uint8Array, options?: WriteOptions): Promise<Revision | undefined> {
    const rev = await this.writes
      .add({ key, value: asBuffer(value), expected: '', expireMs: expireOf(options), listing: packListing(options?.listing) })
      .catch(this.fail('create', key));
    return rev === WRITE_LOST ? undefined : rev;
  }

  async update(key: string, value: Uint8Array, revision: Revision, options?: WriteOptions): Promise<Revision | undefined> {
    const rev = await this.writes
      .add({ key, value: asBuffer(value), expected: revision, expireMs: expireOf(options), listing: packListing(options?.listing) })
      .catch(this.fail('update', key));
    return rev === WRITE_LOST ? undefined : rev;
  }

  async delete(key: string): Promise<void> {
    const k = this.keysOf;
    await this.cmd.eventideKvDelete(k.kv(key), k.kvIndex, k.kvExpiry, k.listings, key, k.indexPrefix).catch(this.fail('delete', key));
  }

  async keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const upper = Buffer.concat([Buffer.from(`(${prefix}`), HIGH]);
    let lower: string | Buffer = `[${prefix}`;
    for (;;) {
      const page: string[] = await this.cmd
        .zrangebylex(this.keysOf.kvIndex, lower, upper, 'LIMIT', 0, PAGE)
        .catch(this.fail('keys', prefix));
      out.push(...page);
      if (page.length < PAGE) return out;
      lower = `(${page[page.length - 1]}`;
    }
  }
}

/** A listing as the scripts read it: the msgpack array { member, index… }; '' for none (unchanged). */
export function packListing(listing: Listing | undefined): Buffer | '' {
  return listing ? packItems([listing.member, ...listing.in]) : '';
}

/** Pages of an index: a lex range of its sorted set, from the cursor. */
export function redisIndexes(cmd: ScriptedRedis, keys: Keys, timeoutMs: number): Indexes {
  return {
    page: (index, limit, after) =>
      cmd.zrangebylex(keys.indexPrefix + index, after === undefined ? '-' : `(${after}`, '+', 'LIMIT', 0, limit).catch((err: unknown) => {
        throw transportError(err, `indexes.page(${JSON.stringify(index)})`, timeoutMs);
      }),
  };
}

/** Whole milliseconds, at least 1; 0 for none. */
export function expireOf(options: WriteOptions | undefined): number {
  const ms = options?.expireMs;
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? Math.max(1, Math.ceil(ms)) : 0;
}

/** ioredis sends a Buffer as raw bytes; a plain Uint8Array would be stringified. */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
