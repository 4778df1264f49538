/**
 * Hostile clients, for every HTTP adapter: pages on other sites trying to
 * write (Origin, Sec-Fetch-Site, CORS preflights), tokens put in URLs, 401s
 * probed for whether a run exists, and bodies that are too large or arrive
 * too slowly (slowloris). Each adapter's test file calls
 * `hostileSuite(name, startServer)` next to `adapterSuite`.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineFunction, NonRetriableError, silentLogger, type Runtime } from '../../index.js';
import { createHttpHandler, type HttpHandlerOptions } from '../../adapters/http/index.js';
import { until } from '../conformance/transport.suite.js';
import { call, TOKEN, type StartServer } from './adapter.suite.js';

const auth = { authorization: `Bearer ${TOKEN}` };
const evil = 'https://evil.example';
let counter = 0;

interface RawExchange {
  /** The status line, e.g. `HTTP/1.1 408 Request Timeout`, or '' when none came. */
  statusLine: string;
  text: string;
  /** From the first byte written to the server closing the connection. */
  closedAfterMs: number;
}

/**
 * Writes `head` on a bare socket, then body bytes as `send` decides (it is called every `everyMs`
 * with the socket until it returns false), and waits for the server to close the connection, at
 * most `giveUpMs`. A socket, not node:http, so that a body can stall, trickle or never end.
 */
function rawExchange(url: string, head: string, send: (write: (s: string) => void) => boolean, everyMs: number, giveUpMs = 8_000) {
  const { hostname, port } = new URL(url);
  return new Promise<RawExchange>((resolve) => {
    const socket = connect(Number(port), hostname);
    const started = Date.now();
    let text = '';
    const done = () => {
      clearInterval(ticker);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ statusLine: text.split('\r\n')[0] ?? '', text, closedAfterMs: Date.now() - started });
    };
    const giveUp = setTimeout(done, giveUpMs);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (text += d));
    socket.on('close', done);
    // The server may close while bytes are in flight; that is what is being tested.
    socket.on('error', () => {});
    socket.write(head);
    const ticker = setInterval(() => {
      if (socket.destroyed || socket.writableEnded) return;
      if (!send((s) => socket.write(s))) clearInterval(ticker);
    }, everyMs);
  });
}

const headOf = (path: string, host: string, headers: Record<string, string>) =>
  `POST ${path} HTTP/1.1\r\nHost: ${host}\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

export function hostileSuite(name: string, startServer: StartServer): void {
  describe(`HTTP adapter: ${name}, hostile clients`, () => {
    const cleanups: (() => Promise<void> | void)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    let broken = true;
    const charge = defineFunction({ id: 'charge', trigger: { event: 'order/paid' } }, async ({ step }) => {
      return step.run('charge', () => {
        if (broken) throw new NonRetriableError('card processor misconfigured');
        return { charged: true };
      });
    });
    const nap = defineFunction({ id: 'nap', trigger: { event: 'nap/start' } }, async ({ step }) => {
      await step.sleep('long', '1h');
    });

    async function setup(options: HttpHandlerOptions = { token: TOKEN }) {
      const namespace = `hostile_${name}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
      const runtime: Runtime = createRuntime({ logger: silentLogger, transport: 'memory://', namespace, functions: [charge, nap] });
      await runtime.start();
      cleanups.push(() => runtime.stop({ timeoutMs: 1_000 }));
      const handler = createHttpHandler(runtime, options);
      const server = await startServer(handler);
      cleanups.push(async () => {
        handler.close();
        await server.close();
      });
      const base = `${server.url}${handler.basePath}`;
      return { runtime, base, host: new URL(server.url).host };
    }

    /** One failed run of `charge` and one sleeping run of `nap`, made through the runtime, not the API. */
    async function someRuns(runtime: Runtime) {
      broken = true;
      await runtime.send([
        { name: 'order/paid', data: {} },
        { name: 'nap/start', data: {} },
      ]);
      await until(
        async () =>
          (await runtime.listRuns({ functionId: 'charge', status: 'failed' })).length === 1 &&
          (await runtime.listRuns({ functionId: 'nap', status: 'sleeping' })).length === 1,
        10_000,
        'a failed and a sleeping run',
      );
      const [failed] = await runtime.listRuns({ functionId: 'charge' });
      const [sleeping] = await runtime.listRuns({ functionId: 'nap' });
      return { failed, sleeping };
    }

    for (const mode of ['token', 'dev'] as const) {
      it(`refuses writes from another site with 403 (${mode} mode): send, replay and cancel do nothing`, async () => {
        const { runtime, base, host } = await setup(mode === 'token' ? { token: TOKEN } : { dev: true });
        const { failed, sleeping } = await someRuns(runtime);
        const events = (await runtime.listEvents()).length;
        const headers = mode === 'token' ? auth : {};
        const writes = [
          { path: '/events', body: JSON.stringify({ name: 'order/paid', data: { forged: true } }) },
          { path: '/replay', body: JSON.stringify({ functionId: 'charge', status: 'failed' }) },
          { path: '/replay', body: JSON.stringify({ runIds: [failed.id] }) },
          { path: `/runs/${sleeping.id}/cancel`, body: '{}' },
        ];
        const foreign: Record<string, string>[] = [
          { origin: evil },
          { origin: `http://${new URL(base).hostname}.evil.example:${new URL(base).port}` },
          { origin: `http://evil.example:${new URL(base).port}` },
          { origin: 'null' }, // sandboxed iframes, file: pages, some redirects
          { origin: 'not an origin' },
          { 'sec-fetch-site': 'cross-site' }, // a browser that left Origin out
          { 'sec-fetch-site': 'same-site' },
        ];
        for (const w of writes)
          for (const h of foreign) {
            const r = await call(base, 'POST', `${base}${w.path}`, { headers: { ...headers, ...h }, body: w.body });
            expect(r.status, `${w.path} ${JSON.stringify(h)}`).toBe(403);
            expect(r.json.error.code).toBe('FORBIDDEN');
            expect(r.json.error.message).toContain('cross-origin requests are refused');
            expect(r.headers['access-control-allow-origin']).toBeUndefined();
          }
        await new Promise((r) => setTimeout(r, 100));
        expect(await runtime.listEvents()).toHaveLength(events);
        expect(await runtime.listRuns({ functionId: 'charge' })).toHaveLength(1);
        expect((await runtime.getRun(sleeping.id))?.status).toBe('sleeping');

        // The dashboard's own page (same Host) and clients that are not browsers still write.
        const own = await call(base, 'POST', `${base}/runs/${sleeping.id}/cancel`, {
          headers: { ...headers, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' },
          body: '{}',
        });
        expect(own.status).toBe(200);
        const curl = await call(base, 'POST', `${base}/events`, { headers, body: JSON.stringify({ name: 'nap/start', data: {} }) });
        expect(curl.status).toBe(202);
        if (mode === 'token') {
          // Behind a proxy that rewrites Host: the page's origin is the host the proxy was asked for.
          const proxied = await call(base, 'POST', `${base}/events`, {
            headers: { ...headers, origin: 'https://ops.example.com', 'x-forwarded-host': 'ops.example.com', 'x-forwarded-proto': 'https' },
            body: JSON.stringify({ name: 'nap/start', data: {} }),
          });
          expect(proxied.status).toBe(202);
          const elsewhere = await call(base, 'POST', `${base}/events`, {
            headers: { ...headers, origin: evil, 'x-forwarded-host': 'ops.example.com' },
            body: JSON.stringify({ name: 'nap/start', data: {} }),
          });
          expect(elsewhere.status).toBe(403);
        }
      });
    }

    it('sends no CORS header unless origins are listed; a listed origin gets them and may write', async () => {
      const closed = await setup();
      const preflight = {
        origin: evil,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      };
      for (const [method, path, headers] of [
        ['OPTIONS', '/events', preflight],
        ['OPTIONS', '/runs', preflight],
        ['GET', '/runs', { ...auth, origin: evil }],
        ['GET', '/', { origin: evil }],
        ['GET', '/runs', { origin: evil }],
        ['POST', '/events', { ...auth, origin: evil }],
      ] as const) {
        const r = await call(closed.base, method, `${closed.base}${path}`, { headers });
        expect(r.status, `${method} ${path}`).toBeGreaterThanOrEqual(200);
        expect(
          Object.keys(r.headers).filter((h) => h.startsWith('access-control-')),
          `${method} ${path}`,
        ).toEqual([]);
        if (method === 'OPTIONS') expect(r.status).toBe(405);
        if (method === 'GET' && path !== '/') expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
      }

      const app = 'http://app.example:5173';
      const open = await setup({ token: TOKEN, allowedOrigins: [app] });
      const ok = await call(open.base, 'OPTIONS', `${open.base}/events`, { headers: { ...preflight, origin: app } });
      expect(ok.status).toBe(204);
      expect(ok.headers).toMatchObject({
        'access-control-allow-origin': app,
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'authorization, content-type, last-event-id',
        vary: 'origin',
      });
      expect(ok.headers['access-control-allow-credentials']).toBeUndefined();
      const sent = await call(open.base, 'POST', `${open.base}/events`, {
        headers: { ...auth, origin: app },
        body: JSON.stringify({ name: 'nap/start', data: {} }),
      });
      expect(sent.status).toBe(202);
      expect(sent.headers['access-control-allow-origin']).toBe(app);
      // The token is still needed: a listed origin is a place a browser may call from, not a credential.
      const anonymous = await call(open.base, 'GET', `${open.base}/runs`, { headers: { origin: app } });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['access-control-allow-origin']).toBe(app);
      const other = await call(open.base, 'POST', `${open.base}/events`, {
        headers: { ...auth, origin: evil },
        body: JSON.stringify({ name: 'nap/start', data: {} }),
      });
      expect(other.status).toBe(403);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      expect(other.headers.vary).toBe('origin');
      const otherPreflight = await call(open.base, 'OPTIONS', `${open.base}/events`, { headers: preflight });
      expect(otherPreflight.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('never takes the token from the URL', async () => {
      const { runtime, base } = await setup();
      for (const param of ['token', 'access_token', 'authorization', 'key']) {
        for (const value of [TOKEN, `Bearer ${TOKEN}`]) {
          const q = `?${param}=${encodeURIComponent(value)}`;
          const sent = await call(base, 'POST', `${base}/events${q}`, { body: JSON.stringify({ name: 'nap/start', data: {} }) });
          expect(sent.status, q).toBe(401);
          expect(sent.json.error.message).toContain('a token in the URL is never accepted');
          expect((await call(base, 'GET', `${base}/runs${q}`)).status, q).toBe(401);
          expect((await call(base, 'GET', `${base}/stream${q}`)).status, q).toBe(401);
          expect((await call(base, 'POST', `${base}/replay${q}`, { body: '{"functionId":"charge"}' })).status, q).toBe(401);
        }
      }
      expect(await runtime.listEvents()).toEqual([]);
    });

    it('answers 401 the same for a run that exists and one that does not', async () => {
      const { runtime, base } = await setup();
      const { failed, sleeping } = await someRuns(runtime);
      const probes = (id: string) => [
        { method: 'GET', path: `/runs/${id}` },
        { method: 'POST', path: `/runs/${id}/cancel`, body: '{}' },
        { method: 'POST', path: '/replay', body: JSON.stringify({ runIds: [id] }) },
        { method: 'GET', path: `/runs?eventId=${encodeURIComponent(id)}` },
      ];
      const strip = ({ status, headers, text }: Awaited<ReturnType<typeof call>>) => {
        const { date: _date, 'keep-alive': _keepAlive, ...rest } = headers;
        return { status, headers: rest, text };
      };
      const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${TOKEN}x` }, { authorization: 'Basic Zm9vOmJhcg==' }];
      for (const credentials of attempts) {
        for (const known of [failed.id, sleeping.id]) {
          const unknown = `run_${'0'.repeat(known.length - 4)}`;
          const a = probes(known);
          const b = probes(unknown);
          for (let i = 0; i < a.length; i++) {
            const ra = await call(base, a[i].method, `${base}${a[i].path}`, { headers: credentials, body: a[i].body });
            const rb = await call(base, b[i].method, `${base}${b[i].path}`, { headers: credentials, body: b[i].body });
            expect(ra.status, a[i].path).toBe(401);
            expect(strip(ra)).toEqual(strip(rb));
            expect(ra.text).not.toContain(known);
          }
        }
      }
      expect((await runtime.getRun(sleeping.id))?.status).toBe('sleeping');
      expect(await runtime.listRuns({ functionId: 'charge' })).toHaveLength(1);
    });

    it('cuts a body that is too large (413) or too slow (408) and closes the connection, within a bounded time', async () => {
      const { runtime, base, host } = await setup({ token: TOKEN, maxBodyBytes: 1024, bodyTimeoutMs: 400 });
      const path = new URL(`${base}/events`).pathname;
      const json = { 'content-type': 'application/json', authorization: auth.authorization };

      // Announced too large: refused before a byte of it is read.
      const announced = await rawExchange(base, headOf(path, host, { ...json, 'content-length': String(1e9) }), () => false, 50);
      expect(announced.statusLine).toMatch(/^HTTP\/1\.1 413/);
      expect(announced.text).toContain('BODY_TOO_LARGE');
      expect(announced.closedAfterMs).toBeLessThan(2_000);

      // A chunked body that never ends: cut at the limit while the client is still sending.
      const endless = await rawExchange(
        base,
        headOf(path, host, { ...json, 'transfer-encoding': 'chunked' }),
        (write) => (write(`100\r\n${'a'.repeat(256)}\r\n`), true),
        2,
      );
      expect(endless.statusLine).toMatch(/^HTTP\/1\.1 413/);
      expect(endless.closedAfterMs).toBeLessThan(3_000);

      // Slowloris: one byte every 50 ms of a small body that would take 5 s → 408 at bodyTimeoutMs.
      let sent = 0;
      const body = JSON.stringify({ name: 'nap/start', data: { pad: 'x'.repeat(60) } });
      const trickle = await rawExchange(
        base,
        headOf(path, host, { ...json, 'content-length': String(body.length) }),
        (write) => (write(body[sent++]), sent < body.length),
        50,
      );
      expect(trickle.statusLine).toMatch(/^HTTP\/1\.1 408/);
      expect(trickle.text).toContain('BODY_TIMEOUT');
      expect(trickle.text).toContain('request body did not arrive within 400 ms (bodyTimeoutMs)');
      expect(trickle.closedAfterMs).toBeGreaterThanOrEqual(350);
      expect(trickle.closedAfterMs).toBeLessThan(2_500);

      // The same on a write that has no use for its body.
      sent = 0;
      const cancel = await rawExchange(
        base,
        headOf(`${path.replace(/\/events$/, '')}/runs/run_x/cancel`, host, { ...json, 'content-length': String(body.length) }),
        (write) => (write(body[sent++]), sent < body.length),
        50,
      );
      expect(cancel.statusLine).toMatch(/^HTTP\/1\.1 408/);
      expect(cancel.closedAfterMs).toBeLessThan(2_500);

      // Headers, then nothing at all.
      const stalled = await rawExchange(base, headOf(path, host, { ...json, 'content-length': '40' }), () => false, 50);
      expect(stalled.statusLine).toMatch(/^HTTP\/1\.1 408/);
      expect(stalled.closedAfterMs).toBeLessThan(2_500);

      // A chunked body that stalls halfway.
      const halfway = await rawExchange(
        base,
        headOf(path, host, { ...json, 'transfer-encoding': 'chunked' }),
        (write) => (write('5\r\n{"nam\r\n'), false),
        10,
      );
      expect(halfway.statusLine).toMatch(/^HTTP\/1\.1 408/);

      // Within the limits, on a raw socket too.
      const fine = await rawExchange(
        base,
        headOf(path, host, { ...json, 'content-length': String(body.length), connection: 'close' }) + body,
        () => false,
        50,
      );
      expect(fine.statusLine).toMatch(/^HTTP\/1\.1 202/);
      await until(async () => (await runtime.listEvents()).length === 1, 5_000, 'the one event that arrived whole');
      expect((await runtime.listEvents())[0].data).toEqual({ pad: 'x'.repeat(60) });
    });
  });
}
