/**
 * @module
 * Sorted indexes on JetStream (core/transport-index.ts), in the stream
 * `<ns>_ix`. JetStream reads a subject by sequence, never by key order, and
 * on nats-server 2.9 listing subjects walks every subject of the stream, so an
 * index is a small tree of literal subjects instead, each read by direct get:
 *
 *   <ns>.ix.<i>.t            the index's top: which directories hold members (add-only)
 *   <ns>.ix.<i>.d.<p7>       a directory: which leaves under the 7-character prefix p7 hold members (add-only)
 *   <ns>.ix.<i>.l.<p10>      a leaf: the members whose first 10 characters are p10, as "+member" / "-member" ops
 *
 * `<i>` is the index name as one token (base64url, or a hash when long).
 * The core's members start with 13 digits of inverted time, so a leaf holds
 * the runs of one second and a directory the leaves of 1,000 seconds; other
 * members work too, grouped by their first characters.
 *
 * A subject is a log; a reader that finds more than one message on it writes
 * their result back as one snapshot with a rollup (`Nats-Rollup: sub`) that
 * expects the last sequence it read, so a write that came meanwhile is never
 * rolled away, and the next reader needs one direct get (`last_by_subj`).
 *
 * What a page costs: one direct get for the top, one per directory and one
 * per leaf it reads, eight leaves at a time (more for a log not yet rolled
 * up), so O(limit) for an
 * index whose members stay (every run, a function's runs, ended runs). A leaf
 * whose members all left stays in its directory: a page of a status most runs
 * pass through (running, pending) reads one leaf per second of history
 * between the members it returns.
 *
 * Writers never read: a listing's new entries are ops published before the
 * value's write, its old entries ops published after it (see kv.ts), and the
 * tree above a leaf is published once per process (remembered, bounded).
 */
import { createHash } from 'node:crypto';
import { headers, type Msg, type MsgHdrs } from 'nats';
import { TransportError, type Indexes, type Listing } from '../../core/transport.js';
import { ackError, readAck, requestError, WRONG_LAST_SEQUENCE } from './errors.js';

export interface IndexContext {
  request(subject: string, data: Uint8Array, headers: MsgHdrs | undefined, label: string): Promise<Msg>;
  /** The index stream's name. */
  readonly stream: string;
  /** `<ns>.ix.` */
  readonly prefix: string;
  readonly timeoutMs: number;
}

/** Header of a snapshot message (a rolled-up log). */
export const SNAPSHOT = 'Eventide-Ix';
const EXPECT = 'Nats-Expected-Last-Subject-Sequence';
const LEAVES_AT_ONCE = 8;
/** Tree nodes this process has published, so each is published about once (a repeat is harmless). */
const REMEMBERED = 50_000;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** An index name as one subject token. */
export function indexToken(index: string): string {
  const b64 = Buffer.from(index, 'utf8').toString('base64url');
  return b64.length <= 96 ? `k${b64}` : `h${createHash('sha256').update(index, 'utf8').digest('base64url')}`;
}

/** A member part as one subject token (members are ASCII, but any string works). */
export const partToken = (part: string) => Buffer.from(part, 'utf8').toString('base64url') || '-';

interface LogEntry {
  seq: number;
  snapshot: boolean;
  data: string;
}

export class NatsIndexes implements Indexes {
  private readonly directGet: string;
  private readonly published = new Set<string>();

  constructor(private readonly ctx: IndexContext) {
    this.directGet = `$JS.API.DIRECT.GET.${ctx.stream}`;
  }

  private subjects(index: string) {
    const base = `${this.ctx.prefix}${indexToken(index)}`;
    return {
      top: `${base}.t`,
      dir: (p7: string) => `${base}.d.${partToken(p7)}`,
      leaf: (p10: string) => `${base}.l.${partToken(p10)}`,
    };
  }

  /** Publishes `+member` in each index, with the tree above its leaf first (a crash then leaves an empty leaf listed, never a member unlisted). */
  async add(member: string, indexes: Iterable<string>): Promise<void> {
    const p7 = member.slice(0, 7);
    const p10 = member.slice(0, 10);
    await Promise.all(
      [...indexes].map(async (index) => {
        const s = this.subjects(index);
        await Promise.all([this.once(s.top, p7), this.once(s.dir(p7), p10)]);
        await this.publish(s.leaf(p10), `+${member}`);
      }),
    );
  }

  async remove(member: string, indexes: Iterable<string>): Promise<void> {
    const p10 = member.slice(0, 10);
    await Promise.all([...indexes].map((index) => this.publish(this.subjects(index).leaf(p10), `-${member}`)));
  }

  /** Moves a value's listing from `before` to `after` around its write: new entries first, then the write, then old ones out. */
  async around<T>(before: Listing | undefined, after: Listing, write: () => Promise<T | undefined>): Promise<T | undefined> {
    const same = before?.member === after.member ? new Set(before.in) : new Set<string>();
    await this.add(
      after.member,
      after.in.filter((i) => !same.has(i)),
    );
    const written = await write();
    if (written !== undefined && before) {
      const keep = before.member === after.member ? new Set(after.in) : new Set<string>();
      await this.remove(
        before.member,
        before.in.filter((i) => !keep.has(i)),
      );
    }
    return written;
  }

  private async once(subject: string, entry: string): Promise<void> {
    const id = `${subject} ${entry}`;
    if (this.published.has(id)) return;
    await this.publish(subject, `+${entry}`);
    if (this.published.size >= REMEMBERED) this.published.clear();
    this.published.add(id);
  }

  private async publish(subject: string, op: string, h?: MsgHdrs): Promise<boolean> {
    let msg: Msg;
    try {
      msg = await this.ctx.request(subject, utf8.encode(op), h, 'writing an index entry');
    } catch (e) {
      throw requestError(e, 'writing an index entry', this.ctx.timeoutMs);
    }
    const ack = readAck(msg);
    if (ack.error) {
      if (ack.error.err_code === WRONG_LAST_SEQUENCE) return false;
      throw ackError(ack, 'writing an index entry');
    }
    return true;
  }

  async page(index: string, limit: number, after?: string): Promise<string[]> {
    const s = this.subjects(index);
    const from = after ?? '';
    const out: string[] = [];
    if (limit <= 0) return out;
    for (const p7 of (await this.readSet(s.top)).filter((p) => p >= from.slice(0, 7))) {
      const leaves = (await this.readSet(s.dir(p7))).filter((p) => p >= from.slice(0, 10));
      // A few leaves at a time: a sparse index has few members per leaf, and one read per leaf in turn would add up.
      for (let at = 0; at < leaves.length; at += LEAVES_AT_ONCE) {
        const sets = await Promise.all(leaves.slice(at, at + LEAVES_AT_ONCE).map((p10) => this.readSet(s.leaf(p10))));
        for (const m of sets.flat()) {
          if (after !== undefined && m <= after) continue;
          out.push(m);
          if (out.length >= limit) return out;
        }
      }
    }
    return out;
  }

  /** The members a log holds now, sorted; rolls a log of several messages up into one snapshot. */
  private async readSet(subject: string): Promise<string[]> {
    const last = await this.get({ last_by_subj: subject });
    if (!last) return [];
    if (last.snapshot) return split(last.data);
    const log: LogEntry[] = [];
    let seq = 0;
    for (;;) {
      const e = await this.get({ seq: seq + 1, next_by_subj: subject });
      if (!e || e.seq > last.seq) break;
      log.push(e);
      seq = e.seq;
      if (e.seq === last.seq) break;
    }
    const members = new Set<string>();
    for (const e of log) {
      if (e.snapshot) {
        members.clear();
        for (const m of split(e.data)) members.add(m);
      } else if (e.data.startsWith('+')) members.add(e.data.slice(1));
      else members.delete(e.data.slice(1));
    }
    const sorted = [...members].sort(byBytes);
    if (log.length > 1) {
      const h = headers();
      h.set(SNAPSHOT, '1');
      h.set('Nats-Rollup', 'sub');
      h.set(EXPECT, String(seq));
      // Lost to a write that came meanwhile: the next reader rolls up.
      await this.publish(subject, sorted.join('\n'), h).catch(() => false);
    }
    return sorted;
  }

  private async get(body: Record<string, unknown>): Promise<LogEntry | undefined> {
    let msg: Msg;
    try {
      msg = await this.ctx.request(this.directGet, utf8.encode(JSON.stringify(body)), undefined, 'reading an index');
    } catch (e) {
      throw requestError(e, 'reading an index', this.ctx.timeoutMs);
    }
    const h = msg.headers;
    if (h?.hasError) {
      if (h.code === 404) return undefined;
      throw new TransportError(`NATS transport: reading an index failed: ${h.code} ${h.description}`, { code: 'NATS' });
    }
    return { seq: Number(h?.get('Nats-Sequence')), snapshot: h?.get(SNAPSHOT) === '1', data: fromUtf8.decode(msg.data) };
  }
}

/** The stream's empty payload is not a member. */
const split = (data: string) => (data === '' ? [] : data.split('\n'));

/** Byte order of UTF-8, as Redis and SQLite compare; for ASCII members the same as `<`. */
function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
