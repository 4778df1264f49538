/**
 * Start schedules per key (`Rates` in core/transport-limits.ts): GCRA, one
 * script per transition. The key holds the theoretical arrival time (TAT) of
 * its next start, in server milliseconds, and expires once that time has
 * passed: a TAT behind now schedules exactly as no TAT, so idle keys take no
 * room and need no sweep.
 */
import { NOW } from './lib.js';

/** `interval`, `burst` and `tat` (at least now) for the key KEYS[1] with ARGV 1 limit, 2 period ms, 3 burst; `book(next)` stores the next TAT. */
const GCRA = `
local interval = tonumber(ARGV[2]) / tonumber(ARGV[1])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local function book(nextTat)
  -- Passed as a number, not concatenated: Redis writes it with every digit (tostring would keep 14, and a fractional
  -- interval would drift as it accumulates).
  redis.call('SET', KEYS[1], nextTat, 'PX', math.max(1, math.ceil(nextTat - now)))
end
`;

export const rateReserve = {
  numberOfKeys: 1,
  lua: `
-- KEYS: 1 the key's TAT; ARGV: 1 limit, 2 period ms, 3 burst
-- Returns the whole milliseconds from now until the start it booked (0: start now).
${NOW}
${GCRA}
book(tat + interval)
local wait = math.ceil(tat - burst * interval - now)
if wait < 0 then return 0 end
return wait
`,
};

export const rateTake = {
  numberOfKeys: 1,
  lua: `
-- KEYS: 1 the key's TAT; ARGV: 1 limit, 2 period ms, 3 burst
-- Returns 1 when a start may go now (it is counted), 0 when the key is over its rate (RateReply in codes.ts).
${NOW}
${GCRA}
if tat - burst * interval > now then return 0 end
book(tat + interval)
return 1
`,
};
