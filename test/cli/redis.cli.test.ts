import { createRedisTransport, destroyNamespace } from '../../transports/redis/index.js';
import { cliSuite } from './cli.suite.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
cliSuite({
  name: 'redis',
  url,
  cleanup: async (namespace) => void (await destroyNamespace(url, namespace)),
  publishRaw: async (namespace, bytes) => {
    const t = createRedisTransport({ url, namespace });
    await t.connect();
    await t.publish('events', bytes);
    await t.close();
  },
});
