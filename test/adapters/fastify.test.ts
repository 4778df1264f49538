import Fastify from 'fastify';
import { eventide } from '../../adapters/fastify/index.js';
import { adapterSuite, type StartServer } from './adapter.suite.js';
import { hostileSuite } from './hostile.suite.js';

const start: StartServer = async (handler, host = '127.0.0.1') => {
  const app = Fastify({ forceCloseConnections: true });
  app.get('/app', async () => 'app');
  await app.register(eventide(handler));
  const address = await app.listen({ port: 0, host });
  return { url: `http://127.0.0.1:${new URL(address).port}`, close: () => app.close() };
};

adapterSuite('fastify', start);
hostileSuite('fastify', start);
