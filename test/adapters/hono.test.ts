import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { eventide } from '../../adapters/hono/index.js';
import { adapterSuite, type StartServer } from './adapter.suite.js';
import { hostileSuite } from './hostile.suite.js';

const start: StartServer = async (handler, host = '127.0.0.1') => {
  const app = new Hono();
  app.get('/app', (c) => c.text('app'));
  app.route('/', eventide(handler));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: host }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

adapterSuite('hono', start);
hostileSuite('hono', start);
