import { createSqliteTransport } from '../../transports/sqlite/index.js';
import { crashSuite } from '../process/crash.suite.js';
import { cronProcessSuite } from '../process/cron.suite.js';
import { flowProcessSuite } from '../process/flow.suite.js';
import { invokeProcessSuite } from '../process/invoke.suite.js';
import { sseRestartSuite } from '../process/sse-restart.suite.js';
import { runtimeSuite } from '../runtime/runtime.suite.js';
import { fileFor, removeFile, urlFor } from './sqlite.fixture.js';

runtimeSuite({
  name: 'sqlite',
  transport: urlFor,
  publishRaw: async (namespace, bytes) => {
    const t = createSqliteTransport({ path: fileFor(namespace), namespace });
    await t.connect();
    await t.publish('events', bytes);
    await t.close();
  },
  cleanup: (namespace) => removeFile(fileFor(namespace)),
});
// The worker processes share one file with the test's producer; each test's namespace is apart, and the file goes after it.
const shared = fileFor(`process_${process.pid}`);
crashSuite({ name: 'sqlite', url: `sqlite://${shared}`, cleanup: () => removeFile(shared) });
flowProcessSuite({ name: 'sqlite', url: `sqlite://${shared}`, cleanup: () => removeFile(shared) });
invokeProcessSuite({ name: 'sqlite', url: `sqlite://${shared}`, cleanup: () => removeFile(shared) });
cronProcessSuite({ name: 'sqlite', url: `sqlite://${shared}`, cleanup: () => removeFile(shared) });
sseRestartSuite({ name: 'sqlite', url: `sqlite://${shared}`, cleanup: () => removeFile(shared) });
