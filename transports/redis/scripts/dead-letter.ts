/** Dead-letter a delivery: ack it and record it with its reason, atomically; a stale delivery does nothing. */
import { OWNED, READ_ENTRY } from './lib.js';

export const deadLetter = {
  numberOfKeys: 2,
  lua: `
-- KEYS: 1 stream the delivery came from, 2 dead-letter stream
-- ARGV: 1 group, 2 consumer, 3 entry id, 4 times delivered, 5 reason, 6 subject, 7 most dead letters kept, 8 '1' when KEYS[1] is a retry stream (Source in codes.ts)
${OWNED}
${READ_ENTRY}
if not owned(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]) then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
local id, data = read(KEYS[1], ARGV[3])
if ARGV[8] == '1' then redis.call('XDEL', KEYS[1], ARGV[3]) end
if not id then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', 'i', id, 's', ARGV[6], 'g', ARGV[1], 'r', ARGV[5], 'd', data)
return 1
`,
};
