import { createMemoryTransport, MemoryHub } from '../../transports/memory/index.js';
import { systemClock } from '../../core/clock.js';
import { transportConformance } from '../conformance/transport.suite.js';

const hub = new MemoryHub(systemClock);
transportConformance({
  name: 'memory',
  create: (namespace) => createMemoryTransport({ namespace, hub }),
  windowed: (namespace) => createMemoryTransport({ namespace, broadcastWindow: 10 }),
});
