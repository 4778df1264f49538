/**
 * Remove consumer names that hold nothing: this consumer when it stops, and
 * names of processes that died long ago (after reclaim emptied them). A
 * consumer with pending entries is never removed: XGROUP DELCONSUMER would
 * drop those entries from the group's pending list, and they would never be
 * redelivered. A live consumer removed by mistake is recreated by its next read.
 */
export const retireConsumers = {
  numberOfKeys: 2,
  lua: `
-- KEYS: 1 subject stream, 2 group retry stream; ARGV: 1 group, 2 consumer to retire ('' = none), 3 idle ms after which an empty consumer is gone
local removed = 0
for s = 1, 2 do
  local list = redis.pcall('XINFO', 'CONSUMERS', KEYS[s], ARGV[1])
  if type(list) == 'table' and not list.err then
    for _, c in ipairs(list) do
      local name, pending, idle
      for i = 1, #c, 2 do
        if c[i] == 'name' then name = c[i + 1] elseif c[i] == 'pending' then pending = c[i + 1] elseif c[i] == 'idle' then idle = c[i + 1] end
      end
      if pending == 0 and (name == ARGV[2] or idle > tonumber(ARGV[3])) then
        removed = removed + redis.call('XGROUP', 'DELCONSUMER', KEYS[s], ARGV[1], name) + 1
      end
    end
  end
end
return removed
`,
};
