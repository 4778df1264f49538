/**
 * Leased slots with parked waiters (`Slots` in core/transport-limits.ts), one
 * script per transition so each is atomic per key on every server.
 *
 * Per key (see keys.ts): a sorted set of holders scored by when their lease
 * runs out; a sorted set of parked waiters; and a hash holding the key's
 * limit, its arrival counter and each waiter's wake message. The queue's
 * score is the waiter's priority, negated so the lowest score is served
 * first; equal scores are ordered by member, and a member starts with the
 * arrival number in fixed-width hex, so arrival order is exact for any
 * priority a double holds (one number for both would lose one or the other).
 *
 * A slot given to a waiter is published to it in the same script that freed
 * it, as `publish` appends a message (a plain entry `d`, then the same trim),
 * so consumers see an ordinary delivery and no process can die between the
 * two. The stream and its trim marker are named in the waiter's record, not
 * in KEYS: which waiter wakes is known only inside the script. They carry the
 * namespace's hash tag like every key here, so they live in the same Cluster
 * slot (as CAS_WRITE's due keys do).
 *
 * The namespace's lease index (a sorted set: key → its earliest lease end)
 * is kept exact by every script that changes holders, so `reclaim` visits
 * only the keys with a lapsed lease.
 */
import { NOW, TRIM } from './lib.js';

/**
 * `lapse(holders, now)` frees the lapsed leases of a key and answers how many; `promote(holders, queue,
 * meta, now)` gives free slots to the first waiters and appends their messages; `settle(holders, queue,
 * meta, index, name, maxLen, slack)`, once a key's transition is done, trims the streams woken into,
 * sets the key's lease index entry, and forgets the key's hash once nobody holds or waits.
 */
const SLOTS = `
local woken, wokenSeen = {}, {}
local function lapse(holders, now)
  return redis.call('ZREMRANGEBYSCORE', holders, '-inf', now)
end
local function promote(holders, queue, meta, now)
  local room = (tonumber(redis.call('HGET', meta, 'l')) or 0) - redis.call('ZCARD', holders)
  if room <= 0 then return end
  local first = redis.call('ZPOPMIN', queue, room)
  for i = 1, #first, 2 do
    local field = 'w:' .. string.sub(first[i], 17)
    local _, stream, marker, data, leaseMs = cmsgpack.unpack(redis.call('HGET', meta, field))
    redis.call('HDEL', meta, field)
    -- The waiter holds the slot, on the lease it asked for when it parked, before it has woken.
    redis.call('ZADD', holders, now + leaseMs, string.sub(first[i], 17))
    redis.call('XADD', stream, '*', 'd', data)
    if not wokenSeen[stream] then
      wokenSeen[stream] = true
      woken[#woken + 1] = { stream, marker }
    end
  end
end
local function settle(holders, queue, meta, index, name, maxLen, slack)
  for _, w in ipairs(woken) do trim(w[1], w[2], maxLen, slack) end
  woken, wokenSeen = {}, {}
  local first = redis.call('ZRANGE', holders, 0, 0, 'WITHSCORES')
  if #first > 0 then
    redis.call('ZADD', index, first[2], name)
    return
  end
  redis.call('ZREM', index, name)
  if redis.call('EXISTS', queue) == 0 then redis.call('DEL', meta) end
end
`;

export const slotAcquire = {
  numberOfKeys: 4,
  lua: `
-- KEYS: 1 holders, 2 queue, 3 meta hash, 4 lease index
-- ARGV: 1 key (its name in the lease index), 2 holder, 3 limit, 4 lease ms, 5 maxLen of streams ('' or 0: no trim), 6 trim slack,
--       to park when refused: 7 queue score (the priority, negated), 8 wake stream, 9 its trim marker, 10 wake data
-- Returns 1 when the holder holds a slot, 0 when refused (SlotReply in codes.ts).
${NOW}
${TRIM}
${SLOTS}
local holders, queue, meta = KEYS[1], KEYS[2], KEYS[3]
local holder, limit, leaseMs = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
-- The latest limit asked for is the one a release fills up to.
redis.call('HSET', meta, 'l', limit)
if lapse(holders, now) > 0 then promote(holders, queue, meta, now) end
local field = 'w:' .. holder
local held = 0
if redis.call('ZSCORE', holders, holder) or redis.call('ZCARD', holders) < limit then
  redis.call('ZADD', holders, now + leaseMs, holder)
  local parked = redis.call('HGET', meta, field)
  if parked then
    redis.call('ZREM', queue, (cmsgpack.unpack(parked)))
    redis.call('HDEL', meta, field)
  end
  held = 1
elseif ARGV[7] and redis.call('HEXISTS', meta, field) == 0 then
  local member = string.format('%016x', redis.call('HINCRBY', meta, 'n', 1)) .. holder
  redis.call('ZADD', queue, ARGV[7], member)
  redis.call('HSET', meta, field, cmsgpack.pack(member, ARGV[8], ARGV[9], ARGV[10], leaseMs))
end
settle(holders, queue, meta, KEYS[4], ARGV[1], ARGV[5], ARGV[6])
return held
`,
};

export const slotRelease = {
  numberOfKeys: 4,
  lua: `
-- KEYS: 1 holders, 2 queue, 3 meta hash, 4 lease index
-- ARGV: 1 key (its name in the lease index), 2 holder, 3 maxLen of streams ('' or 0: no trim), 4 trim slack
-- Returns how many slots were freed (the holder's, and any lapsed lease found meanwhile).
${NOW}
${TRIM}
${SLOTS}
local holders, queue, meta = KEYS[1], KEYS[2], KEYS[3]
local field = 'w:' .. ARGV[2]
local parked = redis.call('HGET', meta, field)
if parked then
  redis.call('ZREM', queue, (cmsgpack.unpack(parked)))
  redis.call('HDEL', meta, field)
end
local freed = lapse(holders, now) + redis.call('ZREM', holders, ARGV[2])
if freed > 0 then promote(holders, queue, meta, now) end
settle(holders, queue, meta, KEYS[4], ARGV[1], ARGV[3], ARGV[4])
return freed
`,
};

export const slotRenew = {
  numberOfKeys: 2,
  lua: `
-- KEYS: 1 holders, 2 lease index; ARGV: 1 key (its name in the lease index), 2 holder, 3 lease ms
-- Returns 1 when renewed, 0 when the holder holds no live lease (SlotReply in codes.ts).
${NOW}
local leaseEnd = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[2]))
if not leaseEnd or leaseEnd <= now then return 0 end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[3]), ARGV[2])
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
redis.call('ZADD', KEYS[2], first[2], ARGV[1])
return 1
`,
};

export const slotReclaim = {
  numberOfKeys: 1,
  lua: `
-- KEYS: 1 lease index
-- ARGV: 1 prefix of holder sets, 2 prefix of queues, 3 prefix of meta hashes (each + key names that key's),
--       4 maxLen of streams ('' or 0: no trim), 5 trim slack, 6 most keys to visit
-- Returns { slots freed, 1 when the visit stopped at its bound and more keys may be due, else 0 }.
-- The keys of each visited slot key are not in KEYS (which ones is known only from the index); they carry the
-- namespace's hash tag like the index, so they live in its Cluster slot.
${NOW}
${TRIM}
${SLOTS}
local most = tonumber(ARGV[6])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, most)
local freed = 0
for _, name in ipairs(due) do
  local holders, queue, meta = ARGV[1] .. name, ARGV[2] .. name, ARGV[3] .. name
  local n = lapse(holders, now)
  if n > 0 then promote(holders, queue, meta, now) end
  freed = freed + n
  settle(holders, queue, meta, KEYS[1], name, ARGV[4], ARGV[5])
end
return { freed, #due == most and 1 or 0 }
`,
};

export const slotCount = {
  numberOfKeys: 2,
  lua: `
-- KEYS: 1 holders, 2 queue
-- Returns { live leases, parked waiters }.
${NOW}
return { redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf'), redis.call('ZCARD', KEYS[2]) }
`,
};
