import { createRedisTransport, destroyNamespace } from '../../transports/redis/index.js';
import { crashSuite } from '../process/crash.suite.js';
import { cronProcessSuite } from '../process/cron.suite.js';
import { flowProcessSuite } from '../process/flow.suite.js';
import { invokeProcessSuite } from '../process/invoke.suite.js';
import { sseRestartSuite } from '../process/sse-restart.suite.js';
import { runtimeSuite } from '../runtime/runtime.suite.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const cleanup = async (namespace: string) => void (await destroyNamespace(url, namespace));
runtimeSuite({
  name: 'redis',
  transport: () => url,
  publishRaw: async (namespace, bytes) => {
    const t = createRedisTransport({ url, namespace });
    await t.connect();
    await t.publish('events', bytes);
    await t.close();
  },
  cleanup,
});
crashSuite({ name: 'redis', url, cleanup });
flowProcessSuite({ name: 'redis', url, cleanup });
invokeProcessSuite({ name: 'redis', url, cleanup });
cronProcessSuite({ name: 'redis', url, cleanup });
sseRestartSuite({ name: 'redis', url, cleanup });
