/**
 * Reading a stream backwards: newest message first, by direct get of
 * sequence numbers walking down from the stream's last sequence, a window
 * of requests in flight at once. Each durable subject has a stream of its
 * own, so `limit` messages cost about `limit` pipelined gets and no
 * consumer is created. Direct gets answer a
 * missing (deleted) sequence with a 404 status, which costs no Error.
 */
import type { Msg, NatsConnection } from 'nats';
import type { HistoryEntry } from '../../core/transport.js';
import { requestError } from './errors.js';
import { idFromHeader, MSG_ID } from './names.js';

export interface StoredMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
  at: number;
  header(name: string): string | undefined;
}

async function streamBounds(nc: NatsConnection, stream: string, timeoutMs: number): Promise<{ first: number; last: number } | undefined> {
  const msg = await nc.request(`$JS.API.STREAM.INFO.${stream}`, undefined, { timeout: timeoutMs });
  const info = JSON.parse(new TextDecoder().decode(msg.data)) as {
    error?: { code: number; description: string };
    state?: { first_seq: number; last_seq: number; messages: number };
  };
  if (info.error) {
    if (info.error.code === 404) return undefined;
    throw new Error(`NATS transport: stream ${stream}: ${info.error.description}`);
  }
  const s = info.state;
  return s && s.messages > 0 ? { first: s.first_seq, last: s.last_seq } : undefined;
}

function toStored(msg: Msg): StoredMessage | undefined {
  const h = msg.headers;
  if (!h || h.hasError) return undefined;
  return {
    seq: Number(h.get('Nats-Sequence')),
    subject: h.get('Nats-Subject'),
    data: msg.data,
    at: Date.parse(h.get('Nats-Time-Stamp')),
    header: (name) => h.get(name) || undefined,
  };
}

/** Up to `limit` messages of `stream`, newest first. */
export async function readBackwards(nc: NatsConnection, stream: string, limit: number, timeoutMs: number): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  if (limit <= 0) return out;
  try {
    const bounds = await streamBounds(nc, stream, timeoutMs);
    if (!bounds) return out;
    const getSubject = `$JS.API.DIRECT.GET.${stream}`;
    let next = bounds.last;
    while (out.length < limit && next >= bounds.first) {
      // Limits-retention streams have no gaps but for deleted messages, so a window of `limit` is nearly always one pass.
      const from = Math.max(bounds.first, next - Math.min(limit - out.length, 512) + 1);
      const gets: Promise<Msg>[] = [];
      for (let seq = next; seq >= from; seq--) gets.push(nc.request(getSubject, `{"seq":${seq}}`, { timeout: timeoutMs }));
      for (const msg of await Promise.all(gets)) {
        const m = toStored(msg);
        if (m) {
          out.push(m);
          if (out.length === limit) break;
        }
      }
      next = from - 1;
    }
  } catch (e) {
    throw requestError(e, `reading ${stream}`, timeoutMs);
  }
  return out;
}

/** A durable subject's messages, newest first, each with the id it was published with. */
export async function readHistory(nc: NatsConnection, stream: string, limit: number, timeoutMs: number): Promise<HistoryEntry[]> {
  const found = await readBackwards(nc, stream, limit, timeoutMs);
  return found.map((m) => ({ id: idFromHeader(m.header(MSG_ID) ?? String(m.seq)), data: m.data, at: m.at }));
}
