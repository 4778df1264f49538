/**
 * Key-value store scripts. Revisions come from one namespace counter rather
 * than a per-key count, so a key deleted and created again never reuses a
 * revision a stale writer might still hold (no ABA).
 */
import { CAS_WRITE } from './lib.js';

/**
 * Compare-and-set writes of many keys in one call (a tick's worth, see
 * TickBatch). Each write stands alone: one that loses does not stop the rest.
 */
export const kvWrite = {
  lua: `
-- KEYS: 1 key index, 2 revision counter, 3.. one value hash per write
-- ARGV: per write, 3 values: value, key (as the core names it), expected revision ('' creates)
-- Returns one revision per write, 0 when its compare-and-set lost.
${CAS_WRITE}
local out = {}
for i = 3, #KEYS do
  local a = (i - 3) * 3
  out[#out + 1] = write(KEYS[i], KEYS[1], KEYS[2], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3])
end
return out
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
