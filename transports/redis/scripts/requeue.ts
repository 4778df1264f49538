/**
 * Retry or hand back a delivery: ack it and schedule its message again for
 * the same group, in one atomic step so a crash cannot lose it or double it.
 * Due now (hand-back on stop, retry(0)) goes straight to the group's retry
 * stream, which wakes a blocked reader in any process; later goes to the
 * group's retry set for the mover. The message travels with its next
 * delivery count. A stale delivery (already reclaimed elsewhere) does nothing.
 */
import { OWNED, READ_ENTRY, REQUEUE } from './lib.js';

export const requeue = {
  numberOfKeys: 3,
  lua: `
-- KEYS: 1 stream the delivery came from, 2 group retry set, 3 group retry stream
-- ARGV: 1 group, 2 consumer, 3 entry id, 4 times delivered (lease check), 5 delay ms, 6 next delivery count, 7 '1' when KEYS[1] is the retry stream (Source in codes.ts)
${OWNED}
${READ_ENTRY}
${REQUEUE}
return requeue(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
`,
};
