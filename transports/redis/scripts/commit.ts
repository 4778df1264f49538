/**
 * Settle a delivery together with a store write (the run record), in one
 * atomic step: a crash can never leave a run's record moved and its message
 * unsettled, or the other way round. The write is compare-and-set exactly as
 * kvCreate / kvUpdate; when it loses, nothing is settled. Then either ack (as
 * a plain XACK, or XACK + XDEL for the group's retry stream) or requeue with
 * a delay, lease-checked as requeue is.
 */
import { OWNED, READ_ENTRY, REQUEUE } from './lib.js';

export const commit = {
  numberOfKeys: 6,
  lua: `
-- KEYS: 1 value hash, 2 key index, 3 revision counter, 4 stream the delivery came from, 5 group retry set, 6 group retry stream
-- ARGV: 1 value, 2 key (as the core names it), 3 expected revision ('' creates), 4 'ack' or 'retry',
--       5 group, 6 consumer, 7 entry id, 8 times delivered (lease check), 9 delay ms, 10 next delivery count, 11 '1' when KEYS[4] is the retry stream
${OWNED}
${READ_ENTRY}
${REQUEUE}
if ARGV[3] == '' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return false end
elseif redis.call('HGET', KEYS[1], 'r') ~= ARGV[3] then
  return false
end
local rev = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'r', rev)
if ARGV[3] == '' then redis.call('ZADD', KEYS[2], 0, ARGV[2]) end
if ARGV[4] == 'ack' then
  redis.call('XACK', KEYS[4], ARGV[5], ARGV[7])
  if ARGV[11] == '1' then redis.call('XDEL', KEYS[4], ARGV[7]) end
  return rev
end
requeue(KEYS[4], KEYS[5], KEYS[6], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])
return rev
`,
};
