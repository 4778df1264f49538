/**
 * Where a namespace lives on the server. Everything is derived from the
 * namespace so that two apps (or two test runs) on one server never meet,
 * and so `destroyNamespace` can find all of it again by name alone.
 *
 *   stream <ns>_<S>        subjects <ns>.<S>, <ns>.<S>.>  durable subject S, one stream each
 *                          ('events' → stream <ns>_events, event "user/created" on <ns>.events.user=2Fcreated)
 *   stream <ns>_delayed    subjects <ns>.delayed.>        delayed publishes, work queue until due
 *   stream <ns>_dead       subject  <ns>.dead             dead letters, reason in headers
 *   bucket <ns>_store      (stream KV_<ns>_store)         the key-value store
 *   bucket <ns>_limits     (stream KV_<ns>_limits)        slots and start schedules (see ./limits-bucket.ts)
 *   stream <ns>_ix         subjects <ns>.ix.>             sorted indexes of stored values (see ./sorted-index.ts)
 *   stream <ns>_<C>        subjects <ns>.<C>, <ns>.<C>.>  broadcast channel C, kept for a short max age
 *                          ('runs' → stream <ns>_runs, subjects <ns>.runs.<function id>)
 *
 * A durable subject and a broadcast channel share the space after `<ns>.`
 * and the stream names, so one name cannot be both, and
 * `delayed`, `dead` and `ix` are taken by the namespace itself.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../../core/errors.js';
import { isNamespace } from '../../core/lib/checks.js';

const reserved = new Set(['delayed', 'dead', 'ix']);

export function validateNamespace(namespace: unknown): string {
  if (!isNamespace(namespace)) {
    throw new ConfigError(
      `NATS transport: namespace ${JSON.stringify(namespace)} is not usable: it names streams and subjects, so use letters, digits, '_' and '-' only`,
    );
  }
  return namespace;
}

export interface Names {
  readonly namespace: string;
  readonly delayed: string;
  readonly dead: string;
  readonly bucket: string;
  readonly kvStream: string;
  /** `<ns>.` — every subject of the namespace starts with it. */
  readonly root: string;
  readonly delayedPrefix: string;
  readonly deadSubject: string;
  readonly kvPrefix: string;
  /** The bucket of slots and start schedules, its stream and its subjects' prefix. */
  readonly limitsBucket: string;
  readonly limitsStream: string;
  readonly limitsPrefix: string;
  /** The stream of sorted indexes and its subjects' prefix (`<ns>.ix.`). */
  readonly indexStream: string;
  readonly indexPrefix: string;
  /** The stream that holds durable subject `subject`. */
  stream(subject: string): string;
  /** `<ns>.<S>`: the address of durable subject `subject`; a message's topic follows as more tokens. */
  subject(subject: string): string;
  /** `<ns>.<C>`: the address of broadcast channel `channel`; a broadcast's topic follows as more tokens. */
  channel(channel: string): string;
  /** The stream that keeps broadcast channel `channel`'s window. */
  channelStream(channel: string): string;
}

export function namesFor(namespace: string): Names {
  const ns = validateNamespace(namespace);
  const bucket = `${ns}_store`;
  const limitsBucket = `${ns}_limits`;
  const own = (kind: string, name: string) => {
    const t = token(name);
    if (reserved.has(t)) throw new ConfigError(`NATS transport: "${name}" cannot be a ${kind}: the namespace uses <ns>.${t} itself`);
    return t;
  };
  return {
    namespace: ns,
    delayed: `${ns}_delayed`,
    dead: `${ns}_dead`,
    bucket,
    kvStream: `KV_${bucket}`,
    root: `${ns}.`,
    delayedPrefix: `${ns}.delayed.`,
    deadSubject: `${ns}.dead`,
    kvPrefix: `$KV.${bucket}.`,
    limitsBucket,
    limitsStream: `KV_${limitsBucket}`,
    limitsPrefix: `$KV.${limitsBucket}.`,
    indexStream: `${ns}_ix`,
    indexPrefix: `${ns}.ix.`,
    stream: (subject) => `${ns}_${nameToken(own('durable subject', subject))}`,
    subject: (subject) => `${ns}.${own('durable subject', subject)}`,
    channel: (channel) => `${ns}.${own('broadcast channel', channel)}`,
    channelStream: (channel) => `${ns}_${nameToken(own('broadcast channel', channel))}`,
  };
}

/** A name as exactly one subject token: like `encodeName`, with every dot escaped too. */
export function token(name: string): string {
  return encodeName(name).replaceAll('.', '=2E');
}

/** Characters that pass through a subject or KV key unchanged; the rest is `=XX` escaped (UTF-8 bytes). */
const plain = /^[A-Za-z0-9_-]$/;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * Makes a core name (subject, channel or key) a valid NATS subject tail. Dots
 * stay token separators, so `keys('run.')` can filter on `run.>` server-side;
 * a dot that would leave an empty token (leading, trailing, doubled) is
 * escaped instead. `=` is the escape character because KV keys allow it and
 * core names never use it. Names made only of [A-Za-z0-9_-] and inner dots
 * (all the core uses) come back unchanged, and that check is the fast path.
 */
export function encodeName(name: string): string {
  if (/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/.test(name)) return name;
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    if (ch === '.') {
      const emptyToken = i === 0 || i === name.length - 1 || name[i - 1] === '.';
      out += emptyToken ? '=2E' : '.';
    } else if (plain.test(ch)) {
      out += ch;
    } else {
      const cp = name.codePointAt(i) as number;
      const chars = cp > 0xffff ? 2 : 1;
      for (const b of utf8.encode(name.slice(i, i + chars))) out += `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
      i += chars - 1;
    }
  }
  if (out === '') throw new ConfigError('NATS transport: an empty name cannot become a subject');
  return out;
}

export function decodeName(encoded: string): string {
  if (!encoded.includes('=')) return encoded;
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === '=') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(encoded.charCodeAt(i));
  }
  return fromUtf8.decode(Uint8Array.from(bytes));
}

/**
 * The longest leading part of a key prefix that encodes to itself and ends
 * just before a dot, so `<part>.>` is a subject filter matching every key
 * that starts with the prefix (except the key `<part>.` itself, whose
 * trailing dot is escaped). `undefined`: no such part, list everything.
 */
export function filterBase(prefix: string): string | undefined {
  const cut = prefix.lastIndexOf('.');
  if (cut <= 0) return undefined;
  const base = prefix.slice(0, cut);
  return encodeName(base) === base ? base : undefined;
}

/**
 * Durable consumer name for (subject, group). Consumer names allow no dots,
 * so this uses a second escape (`_XX`) that never produces `__`, which then
 * separates group from subject unambiguously; readable in `nats consumer ls`.
 */
export function consumerName(subject: string, group: string): string {
  const name = `${nameToken(group)}__${nameToken(subject)}`;
  if (name.length <= 128) return name;
  // Very long names would become very long directory names in the file store.
  return `${name.slice(0, 80)}__${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
}

function nameToken(s: string): string {
  if (/^[A-Za-z0-9-]+$/.test(s)) return s;
  let out = '';
  for (const b of utf8.encode(s)) {
    const ch = String.fromCharCode(b);
    out += /[A-Za-z0-9-]/.test(ch) ? ch : `_${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The header JetStream deduplicates by; it carries the message id (see idToHeader). */
export const MSG_ID = 'Nats-Msg-Id';

const escapedId = '~u:';
const unsafeInHeader = /[\r\n]|^\s|\s$/;

/**
 * Header values may not hold CR/LF and nats.js trims them, so an id that
 * would not survive the trip is percent-encoded behind a marker (as is any
 * id that happens to start with the marker). Core ids pass unchanged.
 */
export function idToHeader(id: string): string {
  return unsafeInHeader.test(id) || id.startsWith(escapedId) ? escapedId + encodeURIComponent(id) : id;
}

export function idFromHeader(value: string): string {
  return value.startsWith(escapedId) ? decodeURIComponent(value.slice(escapedId.length)) : value;
}
