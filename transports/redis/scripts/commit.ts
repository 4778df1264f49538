/**
 * Settle deliveries together with their store writes (the run records), in
 * one atomic step: a crash can never leave a run's record moved and its
 * message unsettled, or the other way round. Each write is compare-and-set
 * exactly as kvWrite; when it loses, its delivery is not settled. Then either
 * ack (a plain XACK, or XACK + XDEL for the group's retry stream) or requeue
 * with a delay, lease-checked as requeue is.
 *
 * One call carries every commit one consumer made in a tick (see TickBatch);
 * the commits are independent of each other.
 */
import { UNPACK_ITEMS } from './items.js';
import { CAS_WRITE, OWNED, READ_ENTRY, REQUEUE } from './lib.js';

export const commit = {
  lua: `
-- KEYS: 1 key index, 2 revision counter, 3 expiry set, 4 subject stream, 5 group retry set, 6 group retry stream, 7.. one value hash per commit
-- ARGV: 1 group, 2 consumer, 3 the writer's clock (ms), 4 prefix of value hashes, 5 the items (see items.ts), per commit 11 values:
--       value, key (as the core names it), expected revision ('' creates), 'ack' or 'retry', entry id, times delivered (lease check),
--       delay ms, next delivery count, '1' when it came from the retry stream (Source in codes.ts), expire ms of the value ('' or 0: never),
--       listing of the value ('': unchanged)
-- Returns one revision per commit, 0 when its compare-and-set lost (WRITE_LOST in codes.ts).
${OWNED}
${READ_ENTRY}
${REQUEUE}
${CAS_WRITE}
${UNPACK_ITEMS(5)}
local group, consumer = ARGV[1], ARGV[2]
local out = {}
-- Acks are gathered and made with one XACK per stream (and one XDEL for the retry stream) at the end.
local acked, retried = {}, {}
begin(KEYS[2], #KEYS - 6, ARGV[4])
for i = 7, #KEYS do
  local a = (i - 7) * 11
  local expected, fromRetry, entry = items[a + 3], items[a + 9], items[a + 5]
  local rev = write(KEYS[i], items[a + 1], items[a + 2], expected, items[a + 10], ARGV[3], items[a + 11])
  if rev > 0 then
    local source = KEYS[4]
    if fromRetry == '1' then source = KEYS[6] end
    if items[a + 4] == 'ack' then
      if fromRetry == '1' then retried[#retried + 1] = entry else acked[#acked + 1] = entry end
    else
      requeue(source, KEYS[5], KEYS[6], group, consumer, entry, items[a + 6], items[a + 7], items[a + 8], fromRetry)
    end
  end
  out[#out + 1] = rev
end
if #acked > 0 then redis.call('XACK', KEYS[4], group, unpack(acked)) end
if #retried > 0 then
  redis.call('XACK', KEYS[6], group, unpack(retried))
  redis.call('XDEL', KEYS[6], unpack(retried))
end
finish(KEYS[1], KEYS[3], ARGV[3], ARGV[4])
return out
`,
};
