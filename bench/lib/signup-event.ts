/**
 * @module
 * The event every case sends, so send cost, throughput and the raw floors
 * all move the same bytes.
 */
import type { EventPayload } from '../../index.js';
import { encode } from '../../core/codec/msgpack.js';

/** A ~125-byte event, as an endpoint would send it. */
export function signupEvent(i = 0): EventPayload {
  return {
    name: 'user/created',
    data: { userId: `usr_${String(100000 + i)}`, email: 'ada.lovelace@example.com', plan: 'pro', source: 'web' },
  };
}

export const eventBytes = (): Uint8Array =>
  encode({ v: 1, event: { ...signupEvent(), id: 'evt_0000000000000000000000000', ts: Date.now() } });
