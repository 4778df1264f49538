import { createHash, randomBytes } from 'node:crypto';
import * as crypto from 'node:crypto';

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
let pool = randomBytes(4096);
let poolAt = 0;

function randomChars(n: number): string {
  if (poolAt + n > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[pool[poolAt++] & 31];
  return s;
}

const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;

let lastMs = 0;
let seq = 0;

/** A new event id: time-ordered (ms, then a counter) with 12 random chars, so ids sort by creation. */
export function newEventId(now = Date.now()): string {
  if (now === lastMs) seq++;
  else {
    lastMs = now;
    seq = 0;
  }
  return `evt_${now.toString(32).padStart(9, '0')}${seq.toString(32).padStart(3, '0')}${randomChars(12)}`;
}

/** The run of a function for an event: the same pair always gives the same id, so a redelivery never starts a second run. */
export function runIdFor(functionId: string, eventId: string, salt = ''): string {
  const input = `${functionId}\0${eventId}\0${salt}`;
  // crypto.hash (Node ≥ 20.12) hashes in one call, without a Hash object per run.
  const h = oneShot ? oneShot('sha256', input, 'base64url') : createHash('sha256').update(input).digest('base64url');
  return `run_${h.slice(0, 26).replace(/[-_]/g, 'x')}`;
}
