import { transportConformance } from '../conformance/transport.suite.js';
import { createSqliteTransport } from '../../transports/sqlite/index.js';
import { fileFor, removeFile } from './sqlite.fixture.js';

transportConformance({
  name: 'sqlite',
  create: (namespace) => createSqliteTransport({ path: fileFor(namespace), namespace }),
  cleanup: (namespace) => removeFile(fileFor(namespace)),
  windowed: (namespace) => createSqliteTransport({ path: fileFor(namespace), namespace, broadcastKeepMs: 300 }),
});
