/**
 * Publish: dedup, enqueue (or schedule) and trim in one atomic round trip.
 *
 * Dedup sits in the same script as the XADD so a crash between the two cannot
 * leave a marker without its message (which would drop a retried send).
 *
 * One call carries every publish to one subject made in a tick (see
 * TickBatch); each message is deduplicated on its own.
 *
 * Trimming (TRIM in lib.ts) keeps `maxLen` entries of history but never
 * removes an entry some group has not read or acked.
 */
import { UNPACK_ITEMS } from './items.js';
import { NOW, TRIM } from './lib.js';

/** `seen(marker, window)`: the id was published within its dedup window (else it is marked now); `append(stream, id, data)`. */
const ENQUEUE = `
local function seen(marker, window)
  window = tonumber(window)
  return window > 0 and not redis.call('SET', marker, '', 'NX', 'PX', window)
end
local function append(stream, id, data)
  if id == '' then
    redis.call('XADD', stream, '*', 'd', data)
  else
    redis.call('XADD', stream, '*', 'i', id, 'd', data)
  end
end
`;

export const publish = {
  lua: `
-- KEYS: 1 subject stream, 2 delayed set, 3 trim-wait marker, 4.. one dedup marker per message (any key when it has no dedup)
-- ARGV: 1 maxLen (0 = unbounded; '' skips the trim check this time), 2 trim slack, 3 wake channel, 4 subject name for wake messages,
--       5 the messages (see items.ts), per message 4 values: data, message id ('' = none), delay ms, dedup window ms (0 = no dedup)
-- Returns one value per message: 1 when it was a duplicate, 0 when accepted (Published in codes.ts).
${ENQUEUE}
${NOW}
${TRIM}
${UNPACK_ITEMS(5)}
local out = {}
for i = 4, #KEYS do
  local a = (i - 4) * 4
  local data, id, delay = items[a + 1], items[a + 2], tonumber(items[a + 3])
  if seen(KEYS[i], items[a + 4]) then
    out[#out + 1] = 1
  elseif delay > 0 then
    -- The member holds the message itself; the server time keeps it unique if an id comes back after the dedup window.
    redis.call('ZADD', KEYS[2], now + delay, cmsgpack.pack(id, data, __t[1], __t[2], i))
    redis.call('PUBLISH', ARGV[3], delay .. ':' .. ARGV[4])
    out[#out + 1] = 0
  else
    append(KEYS[1], id, data)
    out[#out + 1] = 0
  end
end
trim(KEYS[1], KEYS[3], ARGV[1], ARGV[2])
return out
`,
};

/**
 * The common case on its own: one message, due now, no trim check. Fewer
 * arguments and no loop make it measurably cheaper than `publish` for a lone
 * send() (the critical path of a request).
 */
export const publishOne = {
  numberOfKeys: 2,
  lua: `
-- KEYS: 1 subject stream, 2 dedup marker (any key when no dedup); ARGV: 1 data, 2 message id ('' = none), 3 dedup window ms (0 = no dedup)
-- Returns 1 when it was a duplicate, 0 when accepted (Published in codes.ts).
${ENQUEUE}
if seen(KEYS[2], ARGV[3]) then return 1 end
append(KEYS[1], ARGV[2], ARGV[1])
return 0
`,
};
