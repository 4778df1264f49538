/**
 * Lua fragments shared by scripts. Kept as text and inlined, because a Redis
 * script cannot import another.
 */

/** `now`: server time in ms. Scripts use the server clock so due times do not depend on each client's clock. */
export const NOW = `
local __t = redis.call('TIME')
local now = tonumber(__t[1]) * 1000 + math.floor(tonumber(__t[2]) / 1000)
`;

/**
 * `owned(stream, group, consumer, id, timesDelivered)`: true while this
 * delivery's lease is still the current one. The consumer name alone is not
 * enough: a consumer may reclaim its own stuck delivery, and then the old
 * delivery object must not settle the new one. The PEL delivery counter
 * (raised by every claim, untouched by XCLAIM JUSTID) tells them apart.
 */
export const OWNED = `
local function owned(stream, group, consumer, id, times)
  local p = redis.call('XPENDING', stream, group, id, id, 1, consumer)
  return #p == 1 and p[1][4] == tonumber(times)
end
`;

/** `read(stream, id)`: the message id and data of a stream entry, or nil when it is gone. */
export const READ_ENTRY = `
local function read(stream, id)
  local e = redis.call('XRANGE', stream, id, id)
  if #e == 0 then return nil end
  local f, msg, data = e[1][2], id, ''
  for i = 1, #f, 2 do
    if f[i] == 'i' then msg = f[i + 1] elseif f[i] == 'd' then data = f[i + 1] end
  end
  return msg, data
end
`;

/**
 * `requeue(source, retrySet, retryStream, group, consumer, entry, times, delay, nextCount, fromRetry)`:
 * ack a delivery and schedule its message again for the same group, lease-checked (a stale
 * delivery does nothing). Due now goes straight to the group's retry stream, which wakes a
 * blocked reader; later goes to the group's retry set for the mover. `fromRetry` is '1' when
 * `source` is the retry stream (Source in codes.ts). Needs OWNED, READ_ENTRY.
 */
export const REQUEUE = `
local function requeue(source, retrySet, retryStream, group, consumer, entry, times, delay, nextCount, fromRetry)
  if not owned(source, group, consumer, entry, times) then return 0 end
  redis.call('XACK', source, group, entry)
  local id, data = read(source, entry)
  if fromRetry == '1' then redis.call('XDEL', source, entry) end
  if not id then return 0 end
  if tonumber(delay) <= 0 then
    redis.call('XADD', retryStream, '*', 'i', id, 'd', data, 'n', nextCount)
  else
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    redis.call('ZADD', retrySet, now + tonumber(delay), cmsgpack.pack(nextCount, id, data, fromRetry, entry))
  end
  return 1
end
`;

/**
 * Listings (core/transport-index.ts): a key's listing is kept in the hash `{ns}:ixof` as the msgpack
 * array { member, index… } the client packed; each index is a sorted set `{ns}:ix:<index>` of members,
 * all scored 0, so a page is a ZRANGEBYLEX from a cursor.
 *
 * - `list(ixOf, ixPrefix, key, listing)` replaces the key's listing ('' or nil: unchanged), touching
 *   only the indexes that differ;
 * - `unlist(ixOf, ixPrefix, key)` takes the key out of every index it was in.
 */
export const LISTINGS = `
local function list(ixOf, ixPrefix, key, listing)
  if listing == nil or listing == '' then return end
  local n = cmsgpack.unpack(listing)
  local had = {}
  local old = redis.call('HGET', ixOf, key)
  if old then
    local o = cmsgpack.unpack(old)
    local keep = {}
    if o[1] == n[1] then for j = 2, #n do keep[n[j]] = true end end
    for j = 2, #o do
      if keep[o[j]] then had[o[j]] = true else redis.call('ZREM', ixPrefix .. o[j], o[1]) end
    end
  end
  for j = 2, #n do
    if not had[n[j]] then redis.call('ZADD', ixPrefix .. n[j], 0, n[1]) end
  end
  redis.call('HSET', ixOf, key, listing)
end
local function unlist(ixOf, ixPrefix, key)
  local old = redis.call('HGET', ixOf, key)
  if not old then return end
  local o = cmsgpack.unpack(old)
  for j = 2, #o do redis.call('ZREM', ixPrefix .. o[j], o[1]) end
  redis.call('HDEL', ixOf, key)
end
`;

/**
 * The store's compare-and-set writes, for a script that makes `n` of them:
 *
 * - `begin(counter, n, kvPrefix)` takes `n` revisions from the namespace counter in one INCRBY (a write that
 *   loses leaves a gap; revisions only need to be unique and rising);
 * - `write(hash, value, key, expected, expireMs, now, listing)` writes one key ('' expected creates) and
 *   returns its new revision, or 0 (WRITE_LOST in codes.ts) when it lost. With `expireMs`, Redis deletes the value that long
 *   after (PEXPIRE) and the key goes into the expiry set, scored by the writer's clock (`now`); a
 *   write without it makes the value permanent again. A write that wins moves its listing with it (LISTINGS);
 * - `finish(index, expiry, now, kvPrefix)`, once at the end, adds the new keys to the key index and
 *   the expiring ones to the expiry set (one ZADD each for the whole call: per-write calls were most
 *   of a batch's time in Redis), then takes due keys out of the key index.
 */
export const CAS_WRITE = `${LISTINGS}
local nextRev, indexAdds, expiryAdds = 0, {}, {}
local ixOf, ixPrefix = '', ''
local function begin(counter, n, kvPrefix)
  if n > 0 then nextRev = redis.call('INCRBY', counter, n) - n + 1 end
  -- '{ns}:kv:' → '{ns}:': the listings' keys share the namespace's hash tag (keys.ts).
  local base = string.sub(kvPrefix, 1, #kvPrefix - 3)
  ixOf, ixPrefix = base .. 'ixof', base .. 'ix:'
end
local function write(hash, value, key, expected, expireMs, now, listing)
  local rev = nextRev
  nextRev = nextRev + 1
  if expected == '' then
    if redis.call('HSETNX', hash, 'r', rev) == 0 then return 0 end
    redis.call('HSET', hash, 'v', value)
    indexAdds[#indexAdds + 1] = 0
    indexAdds[#indexAdds + 1] = key
  else
    if redis.call('HGET', hash, 'r') ~= expected then return 0 end
    redis.call('HSET', hash, 'v', value, 'r', rev)
  end
  local ttl = tonumber(expireMs) or 0
  if ttl > 0 then
    redis.call('PEXPIRE', hash, ttl)
    expiryAdds[#expiryAdds + 1] = tonumber(now) + ttl
    expiryAdds[#expiryAdds + 1] = key
  elseif expected ~= '' then
    -- A new hash has no expiry to clear.
    redis.call('PERSIST', hash)
  end
  list(ixOf, ixPrefix, key, listing)
  return rev
end
-- Keys of the expiry set that are due leave the key index, a few for each expiring write of the call,
-- but only if their value is really gone: it may have been written again since, for good or for longer.
-- Their hashes are not in KEYS (nobody knows which are due beforehand); they share the namespace's hash
-- tag with every key here, so they live in the same Cluster slot.
local function finish(index, expiry, now, kvPrefix)
  if #indexAdds > 0 then redis.call('ZADD', index, unpack(indexAdds)) end
  if #expiryAdds == 0 then return end
  redis.call('ZADD', expiry, unpack(expiryAdds))
  local due = redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, 2 * #expiryAdds + 8)
  for _, key in ipairs(due) do
    if redis.call('EXISTS', kvPrefix .. key) == 0 then
      redis.call('ZREM', index, key)
      unlist(ixOf, ixPrefix, key)
    end
    redis.call('ZREM', expiry, key)
  end
end
`;

/**
 * `trim(stream, marker, maxLen, slack)`: keeps `maxLen` entries of a subject's history (0 or '' : no
 * trim) but never removes an entry some group has not read or has not acked yet, which plain
 * `XADD MAXLEN` would. It looks only when the stream is over `maxLen` by more than `slack`, so it
 * costs one XLEN per call; when a lagging group holds the cut back, the marker key stops further
 * attempts for a second, so a backlog does not make every publish pay for a trim that cannot happen.
 * Every script that appends to a subject's stream calls it, so history is kept the same way however
 * a message got there.
 */
export const TRIM = `
local function trim(stream, marker, maxLen, slack)
  maxLen = tonumber(maxLen)
  if not maxLen or maxLen == 0 then return end
  local excess = redis.call('XLEN', stream) - maxLen
  if excess <= tonumber(slack) or redis.call('EXISTS', marker) == 1 then return end
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
  local head = redis.call('XRANGE', stream, '-', '+', 'COUNT', excess)
  local minid = after(head[#head][1])
  local blocked = false
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    local name, last
    for i = 1, #g, 2 do
      if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
    end
    -- A group still needs everything after what it has read, and every entry it has not acked.
    local need = after(last)
    local p = redis.call('XPENDING', stream, name)
    if p[1] > 0 and less(p[2], need) then need = p[2] end
    if less(need, minid) then minid = need; blocked = true end
  end
  redis.call('XTRIM', stream, 'MINID', minid)
  if blocked then redis.call('SET', marker, '', 'PX', 1000) end
end
`;
