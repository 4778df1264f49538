import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { eventide } from '../../adapters/express/index.js';
import { createRuntime, silentLogger } from '../../index.js';
import { adapterSuite, call, TOKEN, type StartServer } from './adapter.suite.js';
import { hostileSuite } from './hostile.suite.js';

const start: StartServer = async (handler, host = '127.0.0.1') => {
  const app = express();
  app.get('/app', (_req, res) => void res.send('app'));
  app.use(eventide(handler));
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, host, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

adapterSuite('express', start);
hostileSuite('express', start);

describe('express adapter: after a global body parser', () => {
  it('uses what express.json() parsed', async () => {
    const runtime = createRuntime({
      logger: silentLogger,
      transport: 'memory://',
      namespace: `http_express_json_${process.pid}_${Date.now()}`,
    });
    await runtime.start();
    const app = express();
    app.use(express.json());
    app.use(eventide(runtime, { token: TOKEN }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const sent = await call(url, 'POST', '/eventide/events', {
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ name: 'a/b', data: { x: 1 } }),
      });
      expect(sent.status).toBe(202);
      expect((await runtime.listEvents())[0]).toMatchObject({ name: 'a/b', data: { x: 1 } });
    } finally {
      server.close();
      await runtime.stop();
    }
  });
});
