import { afterAll } from 'vitest';
import { transportConformance } from '../conformance/transport.suite.js';
import { createRedisTransport, destroyNamespace } from '../../transports/redis/index.js';
import { startCluster } from './own-redis.js';

const { nodes, stop } = await startCluster();
afterAll(stop);
transportConformance({
  name: 'redis cluster',
  create: (ns) => createRedisTransport({ cluster: nodes, namespace: ns }),
  cleanup: async (ns) => void (await destroyNamespace({ cluster: nodes }, ns)),
});
