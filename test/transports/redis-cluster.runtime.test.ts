import { afterAll } from 'vitest';
import { createRedisTransport, destroyNamespace } from '../../transports/redis/index.js';
import { runtimeSuite } from '../runtime/runtime.suite.js';
import { startCluster } from './own-redis.js';

const { nodes, stop } = await startCluster();
afterAll(stop);
runtimeSuite({
  name: 'redis cluster',
  transport: () => ({ kind: 'redis', cluster: nodes }),
  publishRaw: async (namespace, bytes) => {
    const t = createRedisTransport({ cluster: nodes, namespace });
    await t.connect();
    await t.publish('events', bytes);
    await t.close();
  },
  cleanup: async (namespace) => void (await destroyNamespace({ cluster: nodes }, namespace)),
});
