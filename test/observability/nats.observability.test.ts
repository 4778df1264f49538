import { destroyNamespace } from '../../transports/nats/index.js';
import { observabilitySuite } from './observability.suite.js';

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
observabilitySuite({ name: 'nats', transport: () => url, cleanup: (ns) => destroyNamespace(url, ns) });
