/**
 * Key-value store scripts. Revisions come from one namespace counter rather
 * than a per-key count, so a key deleted and created again never reuses a
 * revision a stale writer might still hold (no ABA).
 */
import { UNPACK_ITEMS } from './items.js';
import { CAS_WRITE, LISTINGS } from './lib.js';

/**
 * Compare-and-set writes of many keys in one call (a tick's worth, see
 * TickBatch). Each write stands alone: one that loses does not stop the rest.
 */
export const kvWrite = {
  lua: `
-- KEYS: 1 key index, 2 revision counter, 3 expiry set, 4.. one value hash per write
-- ARGV: 1 the writer's clock (ms), 2 prefix of value hashes, 3 the items (see items.ts), per write 5 values:
--       value, key (as the core names it), expected revision ('' creates), expire ms ('' or 0: never), listing ('': unchanged)
-- Returns one revision per write, 0 when its compare-and-set lost (WRITE_LOST in codes.ts).
${CAS_WRITE}
${UNPACK_ITEMS(3)}
local out = {}
begin(KEYS[2], #KEYS - 3, ARGV[2])
for i = 4, #KEYS do
  local a = (i - 4) * 5
  out[#out + 1] = write(KEYS[i], items[a + 1], items[a + 2], items[a + 3], items[a + 4], ARGV[1], items[a + 5])
end
finish(KEYS[1], KEYS[3], ARGV[1], ARGV[2])
return out
`,
};

export const kvDelete = {
  numberOfKeys: 4,
  lua: `
-- KEYS: 1 value hash, 2 key index, 3 expiry set, 4 listings hash; ARGV: 1 key (as the core names it), 2 prefix of index sets
${LISTINGS}
unlist(KEYS[4], ARGV[2], ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`,
};
