/**
 * Removing a namespace: every key under its hash tag. For tests and for
 * tearing down an app; it does not stop transports still using it.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { Keys } from './keys.js';

/** Deletes every key of `namespace` and resolves with how many were deleted. */
export async function destroyNamespace(redisOrUrl: Redis | string | RedisOptions | undefined, namespace: string): Promise<number> {
  const { pattern } = new Keys(namespace);
  const own = !(redisOrUrl instanceof Redis);
  const client = redisOrUrl instanceof Redis ? redisOrUrl : typeof redisOrUrl === 'string' ? new Redis(redisOrUrl, { lazyConnect: true }) : new Redis({ lazyConnect: true, ...(redisOrUrl ?? {}) });
  if (own) client.on('error', () => {});
  try {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    if (own) client.disconnect();
  }
}
