/**
 * Publish: dedup, enqueue (or schedule) and trim in one atomic round trip.
 *
 * Dedup sits in the same script as the XADD so a crash between the two cannot
 * leave a marker without its message (which would drop a retried send).
 *
 * Trimming keeps `maxLen` entries of history but never removes an entry some
 * group has not read or has not acked yet: plain `XADD MAXLEN` would. It runs
 * only when the stream is over `maxLen` by more than `slack`, so it costs one
 * XLEN per publish; when a lagging group holds the cut back, a marker key
 * stops further attempts for a second, so a backlog does not make every
 * publish pay for a trim that cannot happen.
 */
import { NOW } from './lib.js';

export const publish = {
  numberOfKeys: 4,
  lua: `
-- KEYS: 1 subject stream, 2 dedup marker, 3 delayed set, 4 trim-wait marker
-- ARGV: 1 data, 2 message id ('' = none), 3 delay ms, 4 dedup window ms (0 = no dedup),
--       5 maxLen (0 = unbounded), 6 trim slack, 7 wake channel, 8 subject name for wake messages
local window = tonumber(ARGV[4])
if window > 0 and not redis.call('SET', KEYS[2], '', 'NX', 'PX', window) then
  return 1
end
local delay = tonumber(ARGV[3])
if delay > 0 then
  ${NOW}
  -- The member holds the message itself; the server time keeps it unique if an id comes back after the dedup window.
  redis.call('ZADD', KEYS[3], now + delay, cmsgpack.pack(ARGV[2], ARGV[1], __t[1], __t[2]))
  redis.call('PUBLISH', ARGV[7], delay .. ':' .. ARGV[8])
  return 0
end
if ARGV[2] == '' then
  redis.call('XADD', KEYS[1], '*', 'd', ARGV[1])
else
  redis.call('XADD', KEYS[1], '*', 'i', ARGV[2], 'd', ARGV[1])
end
local maxLen = tonumber(ARGV[5])
if maxLen == 0 then return 0 end
local excess = redis.call('XLEN', KEYS[1]) - maxLen
if excess <= tonumber(ARGV[6]) or redis.call('EXISTS', KEYS[4]) == 1 then return 0 end

local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq), ms
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as < bs)
end
local function after(id)
  local _, seq, ms = parse(id)
  return ms .. '-' .. string.format('%d', seq + 1)
end

if excess > 1000 then excess = 1000 end
local head = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', excess)
local minid = after(head[#head][1])
local blocked = false
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local name, last
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
  end
  -- A group still needs everything after what it has read, and every entry it has not acked.
  local need = after(last)
  local p = redis.call('XPENDING', KEYS[1], name)
  if p[1] > 0 and less(p[2], need) then need = p[2] end
  if less(need, minid) then minid = need; blocked = true end
end
redis.call('XTRIM', KEYS[1], 'MINID', minid)
if blocked then redis.call('SET', KEYS[4], '', 'PX', 1000) end
return 0
`,
};
