/**
 * Move what is due into the delivery path: delayed publishes into the
 * subject stream (every group sees them), a group's retries into its retry
 * stream. Atomic, so when several processes run it at once each entry moves
 * exactly once; the losers simply find nothing due.
 *
 * Returns the ms until the next entry is due (-1: nothing waits, 0: more is
 * due already, run again; MoveDue in codes.ts), so callers sleep instead of
 * polling.
 */
import { NOW } from './lib.js';

export const moveDue = {
  numberOfKeys: 4,
  lua: `
-- KEYS: 1 subject delayed set, 2 subject stream, 3 group retry set, 4 group retry stream
-- ARGV: 1 most entries moved per set in one call (bounds the time the script holds Redis)
${NOW}
local limit = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
for _, m in ipairs(due) do
  local id, data = cmsgpack.unpack(m)
  redis.call('XADD', KEYS[2], '*', 'i', id, 'd', data)
end
if #due > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, #due - 1) end
local more = #due == limit
due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, limit)
for _, m in ipairs(due) do
  local n, id, data = cmsgpack.unpack(m)
  redis.call('XADD', KEYS[4], '*', 'i', id, 'd', data, 'n', n)
end
if #due > 0 then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, #due - 1) end
if more or #due == limit then return 0 end
local wait = -1
for _, k in ipairs({ KEYS[1], KEYS[3] }) do
  local h = redis.call('ZRANGE', k, 0, 0, 'WITHSCORES')
  if h[2] then
    local w = math.max(1, tonumber(h[2]) - now)
    if wait < 0 or w < wait then wait = w end
  end
end
return wait
`,
};
