import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createRuntime, silentLogger } from '../../index.js';
import { eventideListener, withEventide } from '../../adapters/node/index.js';
import { adapterSuite, call, TOKEN, type StartServer } from './adapter.suite.js';
import { hostileSuite } from './hostile.suite.js';

async function listen(server: Server, host = '127.0.0.1') {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const start: StartServer = (handler, host) => listen(createServer(eventideListener(handler)), host);

adapterSuite('node', start);
hostileSuite('node', start);

describe('node adapter: mounting', () => {
  it('serves eventide next to the app’s own routes, made from a runtime and options', async () => {
    const runtime = createRuntime({
      logger: silentLogger,
      transport: 'memory://',
      namespace: `http_node_mount_${process.pid}_${Date.now()}`,
    });
    await runtime.start();
    const server = await listen(
      createServer(withEventide(runtime, { token: TOKEN, basePath: '/ops/eventide' }, (_req, res) => void res.end('app'))),
    );
    try {
      expect((await call(server.url, 'GET', '/signup')).text).toBe('app');
      expect((await call(server.url, 'GET', '/eventide/functions')).text).toBe('app');
      const fns = await call(server.url, 'GET', '/ops/eventide/functions', { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(fns.json).toEqual({ functions: [] });
      expect((await call(server.url, 'GET', '/ops/eventidex')).text).toBe('app');
    } finally {
      await server.close();
      await runtime.stop();
    }
  });
});
