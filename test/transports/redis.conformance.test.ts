import { transportConformance } from '../conformance/transport.suite.js';
import { createRedisTransport, destroyNamespace } from '../../transports/redis/index.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
transportConformance({
  name: 'redis',
  create: (ns) => createRedisTransport({ url, namespace: ns }),
  cleanup: async (ns) => void (await destroyNamespace(url, ns)),
  windowed: (ns) => createRedisTransport({ url, namespace: ns, broadcastMaxLen: 10 }),
});
