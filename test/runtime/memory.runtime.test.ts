import { createMemoryTransport } from '../../transports/memory/index.js';
import { runtimeSuite } from './runtime.suite.js';

runtimeSuite({
  name: 'memory',
  transport: () => 'memory://',
  publishRaw: (namespace, bytes) =>
    createMemoryTransport({ namespace })
      .publish('events', bytes)
      .then(() => undefined),
});
