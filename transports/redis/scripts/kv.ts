/**
 * Key-value store scripts. Revisions come from one namespace counter rather
 * than a per-key count, so a key deleted and created again never reuses a
 * revision a stale writer might still hold (no ABA).
 */

export const kvCreate = {
  numberOfKeys: 3,
  lua: `
-- KEYS: 1 value hash, 2 key index, 3 revision counter; ARGV: 1 value, 2 key (as the core names it)
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local rev = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'r', rev)
redis.call('ZADD', KEYS[2], 0, ARGV[2])
return rev
`,
};

export const kvUpdate = {
  numberOfKeys: 2,
  lua: `
-- KEYS: 1 value hash, 2 revision counter; ARGV: 1 value, 2 expected revision
if redis.call('HGET', KEYS[1], 'r') ~= ARGV[2] then return false end
local rev = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'r', rev)
return rev
`,
};

export const kvDelete = {
  numberOfKeys: 2,
  lua: `
-- KEYS: 1 value hash, 2 key index; ARGV: 1 key (as the core names it)
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`,
};
