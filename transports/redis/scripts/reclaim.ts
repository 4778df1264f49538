/**
 * Take over deliveries whose lease ran out (worker died, or handler neither
 * settled nor signed life within ackWaitMs). XAUTOCLAIM raises each entry's
 * delivery counter but does not return it, so the script reads it back:
 * deliveryCount must count reclaims.
 */
/** Per reclaimed entry: the stream it came from (Reclaimed in codes.ts), its id, its fields, its delivery counter. */
export type ReclaimedEntry = [stream: number, entryId: Buffer, fields: Buffer[], timesDelivered: number];

export const reclaim = {
  numberOfKeys: 2,
  lua: `
-- KEYS: 1 subject stream, 2 group retry stream
-- ARGV: 1 group, 2 consumer, 3 min idle ms, 4 most entries per stream, 5 cursor in KEYS[1], 6 cursor in KEYS[2]
-- Returns { cursor1, cursor2, { {streamIndex, entryId, fields, timesDelivered}, ... } }; streamIndex 1 or 2 is KEYS[1] or KEYS[2] (Reclaimed in codes.ts)
local out, cursors = {}, {}
for s = 1, 2 do
  local r = redis.call('XAUTOCLAIM', KEYS[s], ARGV[1], ARGV[2], ARGV[3], ARGV[4 + s], 'COUNT', ARGV[4])
  cursors[s] = r[1]
  for _, e in ipairs(r[2]) do
    if e[2] then
      local p = redis.call('XPENDING', KEYS[s], ARGV[1], e[1], e[1], 1)
      out[#out + 1] = { s, e[1], e[2], p[1] and p[1][4] or 1 }
    end
  end
end
return { cursors[1], cursors[2], out }
`,
};
