import { transportConformance } from '../conformance/transport.suite.js';
import { createRedisTransport, destroyNamespace } from '../../transports/redis/index.js';
import { clusterPerFile } from './cluster-per-file.js';

const cluster = clusterPerFile();
transportConformance({
  name: 'redis cluster',
  create: (ns) => createRedisTransport({ cluster: cluster.nodes, namespace: ns }),
  cleanup: async (ns) => void (await destroyNamespace({ cluster: cluster.nodes }, ns)),
  windowed: (ns) => createRedisTransport({ cluster: cluster.nodes, namespace: ns, broadcastMaxLen: 10 }),
});
