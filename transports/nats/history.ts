/**
 * Reading a stream backwards: newest message first, by direct get of
 * sequence numbers walking down from the stream's last sequence, a window
 * of requests in flight at once. For the core's one durable subject
 * ('events') nearly every sequence matches, so `limit` messages cost about
 * `limit` pipelined gets and no consumer is created. Direct gets answer a
 * missing (deleted) sequence with a 404 status, which costs no Error.
 */
import type { Msg, NatsConnection } from 'nats';
import { requestError } from './errors.js';

export interface StoredMessage {
  seq: number;
  subject: string;
  data: Uint8Array;
  at: number;
  header(name: string): string | undefined;
}

async function streamBounds(nc: NatsConnection, stream: string, timeoutMs: number): Promise<{ first: number; last: number } | undefined> {
  const msg = await nc.request(`$JS.API.STREAM.INFO.${stream}`, undefined, { timeout: timeoutMs });
  const info = JSON.parse(new TextDecoder().decode(msg.data)) as { error?: { code: number; description: string }; state?: { first_seq: number; last_seq: number; messages: number } };
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

/** Up to `limit` messages of `stream` (only those on `subject` when given), newest first. */
export async function readBackwards(nc: NatsConnection, stream: string, limit: number, timeoutMs: number, subject?: string): Promise<StoredMessage[]> {
  const out: StoredMessage[] = [];
  if (limit <= 0) return out;
  try {
    const bounds = await streamBounds(nc, stream, timeoutMs);
    if (!bounds) return out;
    const getSubject = `$JS.API.DIRECT.GET.${stream}`;
    let next = bounds.last;
    let window = Math.min(Math.max(limit, 16), 512);
    while (out.length < limit && next >= bounds.first) {
      const from = Math.max(bounds.first, next - window + 1);
      const gets: Promise<Msg>[] = [];
      for (let seq = next; seq >= from; seq--) gets.push(nc.request(getSubject, `{"seq":${seq}}`, { timeout: timeoutMs }));
      for (const msg of await Promise.all(gets)) {
        const m = toStored(msg);
        if (m && (subject === undefined || m.subject === subject)) {
          out.push(m);
          if (out.length === limit) break;
        }
      }
      next = from - 1;
      // Other subjects in the way: look further back in bigger steps.
      window = Math.min(window * 2, 1024);
    }
  } catch (e) {
    throw requestError(e, `reading ${stream}`, timeoutMs);
  }
  return out;
}
