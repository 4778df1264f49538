import { destroyNamespace } from '../../transports/nats/index.js';
import { crashSuite } from '../process/crash.suite.js';
import { cronProcessSuite } from '../process/cron.suite.js';
import { flowProcessSuite } from '../process/flow.suite.js';
import { invokeProcessSuite } from '../process/invoke.suite.js';

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
crashSuite({ name: 'nats', url, cleanup: (namespace) => destroyNamespace(url, namespace) });
flowProcessSuite({ name: 'nats', url, cleanup: (namespace) => destroyNamespace(url, namespace) });
invokeProcessSuite({ name: 'nats', url, cleanup: (namespace) => destroyNamespace(url, namespace) });
cronProcessSuite({ name: 'nats', url, cleanup: (namespace) => destroyNamespace(url, namespace) });
