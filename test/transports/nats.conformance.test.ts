import { createNatsTransport, destroyNamespace } from '../../transports/nats/index.js';
import { transportConformance } from '../conformance/transport.suite.js';

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
transportConformance({
  name: 'nats',
  create: (namespace) => createNatsTransport({ url, namespace, storage: 'file' }),
  cleanup: (namespace) => destroyNamespace(url, namespace),
  windowed: (namespace) => createNatsTransport({ url, namespace, storage: 'file', broadcastMaxAge: '1s' }),
});
