/**
 * Removing a namespace: every key under its hash tag. For tests and for
 * tearing down an app; it does not stop transports still using it.
 */
import { Cluster, Redis } from 'ioredis';
import { closeConnection, isCluster, openCommandConnection, type RedisClient, type RedisConnectionInput } from './connection.js';
import { Keys } from './keys.js';

/**
 * Deletes every key of `namespace` and resolves with how many were deleted.
 * Takes what the transport takes: a URL, options, a client (used as is), or
 * `{ cluster: seedNodes }`.
 */
export async function destroyNamespace(redisOrUrl: RedisConnectionInput | undefined, namespace: string): Promise<number> {
  const { pattern } = new Keys(namespace);
  const given = redisOrUrl instanceof Redis || redisOrUrl instanceof Cluster;
  const client: RedisClient = given
    ? redisOrUrl
    : openCommandConnection(redisOrUrl, { commandTimeoutMs: 5000, connectTimeoutMs: 5000, autoPipelining: false });
  try {
    // SCAN covers one server; on a cluster the namespace's slot is on one master, but which one is the cluster's to say.
    const servers = isCluster(client) ? await mastersOf(client) : [client];
    let deleted = 0;
    for (const server of servers) {
      let cursor = '0';
      do {
        const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) deleted += await server.unlink(...keys);
      } while (cursor !== '0');
    }
    return deleted;
  } finally {
    if (!given) await closeConnection(client);
  }
}

async function mastersOf(cluster: Cluster): Promise<Redis[]> {
  // Connects a lazy client, and once it answers the cluster's nodes are known.
  await cluster.ping();
  return cluster.nodes('master');
}
