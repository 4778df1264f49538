/**
 * JetStream acknowledgement payloads and the delivery metadata in a
 * message's reply subject. Written here rather than through nats.js JsMsg
 * so the hot path allocates nothing it does not use.
 */
import type { Msg } from 'nats';

export const ACK = Uint8Array.of(43, 65, 67, 75); // +ACK
export const NAK = Uint8Array.of(45, 78, 65, 75); // -NAK
export const WPI = Uint8Array.of(43, 87, 80, 73); // +WPI (in progress: restart the ack-wait clock)
export const TERM = Uint8Array.of(43, 84, 69, 82, 77); // +TERM

const utf8 = new TextEncoder();

/** `-NAK {"delay": ns}`: redeliver after `ms`; a delay of 0 means at once. */
export function nakAfter(ms: number): Uint8Array {
  if (!(ms >= 1)) return NAK;
  return utf8.encode(`-NAK {"delay":${Math.round(ms) * 1_000_000}}`);
}

/**
 * Fields of `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>`
 * (or the newer form with domain and account hash after `$JS.ACK`).
 */
export interface AckInfo {
  deliveryCount: number;
  streamSeq: number;
  timestampMs: number;
}

export function ackInfo(msg: Msg): AckInfo {
  const t = (msg.reply ?? '').split('.');
  const o = t.length === 9 ? 4 : 6;
  return { deliveryCount: Number(t[o]), streamSeq: Number(t[o + 1]), timestampMs: Math.floor(Number(t[o + 3]) / 1e6) };
}

export function deliveryCountOf(reply: string): number {
  // Counting dots is cheaper than split() on every delivery.
  let dots = 0;
  for (let i = 0; i < reply.length; i++) if (reply.charCodeAt(i) === 46) dots++;
  const skip = dots === 8 ? 4 : 6;
  let at = 0;
  for (let n = 0; n < skip; n++) at = reply.indexOf('.', at) + 1;
  return parseInt(reply.slice(at, reply.indexOf('.', at)), 10);
}
