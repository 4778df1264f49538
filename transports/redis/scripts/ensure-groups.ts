/**
 * Create a group on the subject stream and on its retry stream. Starting at
 * id 0 makes a group created later begin with whatever the stream still holds.
 */
export const ensureGroups = {
  numberOfKeys: 2,
  lua: `
-- KEYS: 1 subject stream, 2 group retry stream; ARGV: 1 group
for i = 1, 2 do
  local r = redis.pcall('XGROUP', 'CREATE', KEYS[i], ARGV[1], '0', 'MKSTREAM')
  if type(r) == 'table' and r.err and not string.find(r.err, 'BUSYGROUP') then return r end
end
return 1
`,
};
