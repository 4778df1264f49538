import { createNatsTransport, destroyNamespace } from '../../transports/nats/index.js';
import { sseRestartSuite } from '../process/sse-restart.suite.js';
import { runtimeSuite } from '../runtime/runtime.suite.js';

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
runtimeSuite({
  name: 'nats',
  transport: (namespace) => createNatsTransport({ url, namespace }),
  publishRaw: async (namespace, bytes) => {
    const t = createNatsTransport({ url, namespace });
    await t.connect();
    await t.publish('events', bytes, { topic: 'not-an-event' });
    await t.close();
  },
  cleanup: (namespace) => destroyNamespace(url, namespace),
});
sseRestartSuite({ name: 'nats', url, cleanup: (namespace) => destroyNamespace(url, namespace) });
