/**
 * working(): reset the entry's idle time so reclaimers leave it alone.
 * XCLAIM JUSTID does not raise the delivery counter; the ownership check
 * keeps a stale delivery from stealing back an entry another consumer now runs.
 */
import { OWNED } from './lib.js';

export const extendLease = {
  numberOfKeys: 1,
  lua: `
-- KEYS: 1 stream the delivery came from; ARGV: 1 group, 2 consumer, 3 entry id, 4 times delivered
${OWNED}
if not owned(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]) then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
return 1
`,
};
