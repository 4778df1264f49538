/**
 * Dead letters: messages of the namespace's dead-letter stream, each with
 * where it came from and why in its headers.
 */
import { headers, type MsgHdrs, type NatsConnection } from 'nats';
import type { DeadLetter } from '../../core/transport.js';
import type { OutgoingDeadLetter } from './consumer.js';
import { readBackwards } from './history.js';
import { MSG_ID } from './names.js';

const DEAD = { id: 'Eventide-Id', group: 'Eventide-Group', subject: 'Eventide-Subject', reason: 'Eventide-Reason' } as const;

/**
 * Text as a header value. encodeURIComponent throws on a lone surrogate, which a reason can hold (a
 * decoder's message quoting half of an emoji, a user's error): the dead letter would then never be
 * written, and its message would come back forever. Such a half becomes U+FFFD.
 */
function headerText(text: string): string {
  return encodeURIComponent(text.replace(/\p{Surrogate}/gu, '\uFFFD'));
}

export function deadLetterHeaders(letter: OutgoingDeadLetter): MsgHdrs {
  const h = headers();
  // Dead-lettering the same delivery twice (TERM lost, message came back) stores it once.
  h.set(MSG_ID, letter.dedupId);
  h.set(DEAD.id, headerText(letter.id));
  h.set(DEAD.group, headerText(letter.group));
  h.set(DEAD.subject, headerText(letter.subject));
  h.set(DEAD.reason, headerText(letter.reason));
  return h;
}

/** The newest `limit` dead letters of `stream`, newest first. */
export async function readDeadLetters(nc: NatsConnection, stream: string, limit: number, timeoutMs: number): Promise<DeadLetter[]> {
  const found = await readBackwards(nc, stream, limit, timeoutMs);
  const text = (m: (typeof found)[number], name: string) => decodeURIComponent(m.header(name) ?? '');
  return found.map((m) => ({
    id: text(m, DEAD.id),
    subject: text(m, DEAD.subject),
    group: text(m, DEAD.group),
    reason: text(m, DEAD.reason),
    data: m.data,
    at: m.at,
  }));
}
