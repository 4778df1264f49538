/**
 * Ack an entry of a group's retry stream. Nothing else reads that stream, so
 * the entry is deleted with the ack and the stream stays as small as what is
 * in flight. (Subject-stream entries are acked with a plain XACK: they stay
 * as history until trimmed.)
 */
export const ackRetried = {
  numberOfKeys: 1,
  lua: `
-- KEYS: 1 group retry stream; ARGV: 1 group, 2 entry id
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
`,
};
