import { destroyNamespace } from '../../transports/redis/index.js';
import { observabilitySuite } from './observability.suite.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
observabilitySuite({ name: 'redis', transport: () => url, cleanup: async (ns) => void (await destroyNamespace(url, ns)) });
