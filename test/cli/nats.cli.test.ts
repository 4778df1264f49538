import { createNatsTransport, destroyNamespace } from '../../transports/nats/index.js';
import { cliSuite } from './cli.suite.js';

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
cliSuite({
  name: 'nats',
  url,
  cleanup: (namespace) => destroyNamespace(url, namespace),
  publishRaw: async (namespace, bytes) => {
    const t = createNatsTransport({ url, namespace });
    await t.connect();
    await t.publish('events', bytes, { topic: 'not-an-event' });
    await t.close();
  },
});
