import { createRedisTransport, destroyNamespace } from '../../transports/redis/index.js';
import { runtimeSuite } from '../runtime/runtime.suite.js';
import { clusterPerFile } from './cluster-per-file.js';

const cluster = clusterPerFile();
runtimeSuite({
  name: 'redis cluster',
  transport: () => ({ kind: 'redis', cluster: cluster.nodes }),
  publishRaw: async (namespace, bytes) => {
    const t = createRedisTransport({ cluster: cluster.nodes, namespace });
    await t.connect();
    await t.publish('events', bytes);
    await t.close();
  },
  cleanup: async (namespace) => void (await destroyNamespace({ cluster: cluster.nodes }, namespace)),
});
