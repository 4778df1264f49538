/**
 * Key layout of one namespace. Every key carries the hash tag `{namespace}`,
 * so every script touches keys of a single slot and runs on Redis Cluster.
 *
 *   {ns}:s:<subject>               stream: the subject's messages (history + consumer groups)
 *   {ns}:u:<subject>:<msgId>       dedup marker, expires after the dedup window
 *   {ns}:d:<subject>               sorted set: delayed publishes, scored by due time
 *   {ns}:tw:<subject>              marker: trimming was blocked by a lagging group, wait before trying again
 *   {ns}:r:<subject>:<group>       stream: the group's retries and hand-backs (one consumer group)
 *   {ns}:z:<subject>:<group>       sorted set: the group's retries not yet due
 *   {ns}:dlq                       stream: dead letters of the namespace
 *   {ns}:kv:<key>                  hash { v: value, r: revision }
 *   {ns}:kvidx                     sorted set (all scores 0): store keys, for prefix listing by lex range
 *   {ns}:kvseq                     counter: revisions, monotonic across delete/create (no ABA)
 *   {ns}:kvexp                     sorted set: store keys written with an expiry, scored by when it passes
 *   {ns}:ixof                      hash: each listed store key's listing (msgpack { member, index… }, see scripts/lib.ts)
 *   {ns}:ix:<index>                sorted set (all scores 0): an index's members, paged by lex range
 *   {ns}:ch:<channel>              capped stream of broadcasts { d: data }, ids 0-1, 0-2, … (positions)
 *   {ns}:wake                      pub/sub channel: "a delayed publish is due in N ms on <subject>"
 *   {ns}:sh:<key>                  sorted set: holders of a slot key, scored by when their lease runs out
 *   {ns}:sq:<key>                  sorted set: waiters parked on a slot key (see scripts/slots.ts for the order)
 *   {ns}:sm:<key>                  hash: a slot key's limit, arrival counter and each waiter's wake message
 *   {ns}:slidx                     sorted set: slot keys, scored by their earliest lease end (what reclaim visits)
 *   {ns}:rt:<key>                  a rate key's next theoretical start (GCRA), expiring once it has passed
 *
 * Slot, rate and index keys come last in their names, so they need no escaping.
 */
import { isNamespace } from '../../core/lib/checks.js';

export function validateNamespace(namespace: string): string {
  if (!isNamespace(namespace)) {
    throw new TypeError(
      `redis transport: namespace ${JSON.stringify(namespace)} is invalid; use letters, digits, "_" and "-" only (it becomes the Redis hash tag of every key)`,
    );
  }
  return namespace;
}

/**
 * Subjects and groups become segments between ':' separators; escaping ':'
 * (and '%', the escape itself) keeps ('a:b', 'c') and ('a', 'b:c') apart while
 * ordinary names stay readable in redis-cli.
 */
export function segment(name: string): string {
  return name.includes(':') || name.includes('%') ? name.replace(/%/g, '%25').replace(/:/g, '%3A') : name;
}

export interface SubjectKeys {
  readonly subject: string;
  readonly stream: string;
  readonly dedupPrefix: string;
  readonly delayed: string;
  readonly trimWait: string;
  /** The subject as it appears in wake messages. */
  readonly wakeName: string;
}

export interface GroupKeys {
  readonly retryStream: string;
  readonly retryDue: string;
}

export interface SlotKeys {
  readonly holders: string;
  readonly queue: string;
  readonly meta: string;
}

export class Keys {
  readonly tag: string;
  readonly slotLeases: string;
  /** Each + a slot key names that key's holders, queue or meta hash (scripts/slots.ts builds names from these). */
  readonly slotPrefixes: SlotKeys;
  readonly deadLetters: string;
  readonly kvIndex: string;
  readonly kvSeq: string;
  readonly kvExpiry: string;
  readonly listings: string;
  readonly indexPrefix: string;
  readonly wake: string;
  private readonly subjects = new Map<string, SubjectKeys>();

  constructor(readonly namespace: string) {
    this.tag = `{${validateNamespace(namespace)}}`;
    this.deadLetters = `${this.tag}:dlq`;
    this.kvIndex = `${this.tag}:kvidx`;
    this.kvSeq = `${this.tag}:kvseq`;
    this.kvExpiry = `${this.tag}:kvexp`;
    this.listings = `${this.tag}:ixof`;
    this.indexPrefix = `${this.tag}:ix:`;
    this.wake = `${this.tag}:wake`;
    this.slotLeases = `${this.tag}:slidx`;
    this.slotPrefixes = { holders: `${this.tag}:sh:`, queue: `${this.tag}:sq:`, meta: `${this.tag}:sm:` };
  }

  /** Cached: publish is the hot path and should not build strings each time. */
  subject(subject: string): SubjectKeys {
    let keys = this.subjects.get(subject);
    if (!keys) {
      const s = segment(subject);
      keys = {
        subject,
        stream: `${this.tag}:s:${s}`,
        dedupPrefix: `${this.tag}:u:${s}:`,
        delayed: `${this.tag}:d:${s}`,
        trimWait: `${this.tag}:tw:${s}`,
        wakeName: s,
      };
      if (this.subjects.size < 10_000) this.subjects.set(subject, keys);
    }
    return keys;
  }

  group(subject: string, group: string): GroupKeys {
    const base = `${segment(subject)}:${segment(group)}`;
    return { retryStream: `${this.tag}:r:${base}`, retryDue: `${this.tag}:z:${base}` };
  }

  kv(key: string): string {
    return `${this.tag}:kv:${key}`;
  }

  slot(key: string): SlotKeys {
    const p = this.slotPrefixes;
    return { holders: p.holders + key, queue: p.queue + key, meta: p.meta + key };
  }

  rate(key: string): string {
    return `${this.tag}:rt:${key}`;
  }

  channel(name: string): string {
    return `${this.tag}:ch:${name}`;
  }

  /** Glob matching every key of the namespace (the tag cannot hold glob characters: the namespace is validated). */
  get pattern(): string {
    return `${this.tag}:*`;
  }
}
