/**
 * Cross-site request forgery, from a real browser: a page on another origin
 * (another port of the same loopback address, as a second local app would
 * be) tries every way a page can write to the API without reading the answer
 * — no-cors fetch, a form post, sendBeacon — against a runtime served in dev
 * mode (no token: the case where only the Origin check stands in the way)
 * and in token mode. Every attempt must reach the server and be refused, and
 * the runtime must be unchanged: no event, no replay, the sleeping run still
 * sleeping. Needs Chromium: it fails, never skips, when Chromium is missing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineFunction, NonRetriableError, silentLogger, type Runtime } from '../../index.js';
import { createHttpHandler, type HttpHandlerOptions } from '../../adapters/http/index.js';
import { eventideListener } from '../../adapters/node/index.js';
import { until } from '../conformance/transport.suite.js';
import { BROWSER_TEST_MS, withBrowser } from './browser.js';

const TOKEN = 'cross-site-test-token-0123456789';

const charge = defineFunction({ id: 'charge', trigger: { event: 'order/paid' } }, async ({ step }) => {
  await step.run('charge', () => {
    throw new NonRetriableError('card processor misconfigured');
  });
});
const nap = defineFunction({ id: 'nap', trigger: { event: 'nap/start' } }, async ({ step }) => {
  await step.sleep('long', '1h');
});

/** The attacker's page: fires every write it can at `api` and reports how many it sent. */
function attackerPage(api: string, runId: string): string {
  const target = JSON.stringify(api);
  return `<!doctype html><html><head><title>totally harmless</title></head><body>
<iframe name="sink" style="display:none"></iframe>
<form id="f" method="POST" action=${JSON.stringify(`${api}/events`)} enctype="text/plain" target="sink">
  <input name='{"name":"order/paid","data":{"forged":"form","x":"' value='"}}'>
</form>
<script>
(async () => {
  const api = ${target};
  const sent = [];
  const post = (path, body) =>
    fetch(api + path, { method: 'POST', mode: 'no-cors', body, headers: { 'content-type': 'text/plain' } })
      // Cross-Origin-Resource-Policy turns the opaque answer into a network error; the request has gone all the same.
      .then(() => sent.push(path), () => sent.push(path));
  await post('/events', JSON.stringify({ name: 'order/paid', data: { forged: 'fetch' } }));
  await post('/replay', JSON.stringify({ functionId: 'charge', status: 'failed' }));
  await post('/runs/${runId}/cancel', '{}');
  // A CORS request that would need a preflight: the preflight itself is refused, so the POST never leaves.
  await fetch(api + '/events', { method: 'POST', body: '{"name":"order/paid","data":{"forged":"cors"}}', headers: { 'content-type': 'application/json' } })
    .then(() => sent.push('cors read'), () => sent.push('cors blocked'));
  navigator.sendBeacon(api + '/events', new Blob([JSON.stringify({ name: 'order/paid', data: { forged: 'beacon' } })], { type: 'text/plain' }));
  sent.push('beacon');
  document.getElementById('f').submit();
  sent.push('form');
  window.__sent = sent;
})();
</script></body></html>`;
}

describe('cross-site writes from a browser', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function listen(server: Server): Promise<string> {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  for (const mode of ['dev', 'token'] as const) {
    it(
      `a page on another origin cannot send, replay or cancel (${mode} mode)`,
      async () => {
        const runtime: Runtime = createRuntime({
          logger: silentLogger,
          transport: 'memory://',
          namespace: `cross_site_${mode}_${process.pid}_${Date.now().toString(36)}`,
          functions: [charge, nap],
        });
        await runtime.start();
        cleanups.push(() => runtime.stop({ timeoutMs: 1_000 }));
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
        const [sleeping] = await runtime.listRuns({ functionId: 'nap' });

        const options: HttpHandlerOptions = mode === 'dev' ? { dev: true } : { token: TOKEN };
        const handler = createHttpHandler(runtime, options);
        cleanups.push(() => handler.close());
        // Every answer the API gives, to prove the attempts arrived and what they got.
        const seen: { method: string; path: string; origin: string; status: number }[] = [];
        const listener = eventideListener(handler);
        const api = await listen(
          createServer((req, res) => {
            res.on('finish', () =>
              seen.push({ method: req.method ?? '', path: req.url ?? '', origin: String(req.headers.origin), status: res.statusCode }),
            );
            listener(req, res);
          }),
        );
        const evil = await listen(
          createServer((_req, res) => {
            res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(attackerPage(`${api}/eventide`, sleeping.id));
          }),
        );

        await withBrowser({}, async (context) => {
          const page = await context.newPage();
          await page.goto(`${evil}/`);
          await page.waitForFunction(() => (globalThis as { __sent?: string[] }).__sent !== undefined, undefined, { timeout: 10_000 });
          const sent = await page.evaluate(() => (globalThis as { __sent?: string[] }).__sent);
          expect(sent).toEqual(['/events', '/replay', `/runs/${sleeping.id}/cancel`, 'cors blocked', 'beacon', 'form']);
          // no-cors fetch ×3, the preflight, the beacon and the form: six requests, each refused.
          await until(() => seen.length >= 6, 10_000, 'the forged requests to reach the server');
        });

        expect(seen.map((s) => s.origin)).toEqual(seen.map(() => evil));
        expect(seen.filter((s) => s.method === 'POST').map((s) => [s.path, s.status])).toEqual([
          ['/eventide/events', 403],
          ['/eventide/replay', 403],
          [`/eventide/runs/${sleeping.id}/cancel`, 403],
          ['/eventide/events', 403],
          ['/eventide/events', 403],
        ]);
        // The preflight gets no CORS header (405 with a token, 403 in dev mode, where every cross-origin request is refused).
        expect(seen.filter((s) => s.method === 'OPTIONS').map((s) => s.status)).toEqual([mode === 'dev' ? 403 : 405]);
        expect((await runtime.listEvents()).map((e) => e.name)).toEqual(['nap/start', 'order/paid']);
        expect(await runtime.listRuns({ functionId: 'charge' })).toHaveLength(1);
        expect((await runtime.getRun(sleeping.id))?.status).toBe('sleeping');
      },
      BROWSER_TEST_MS,
    );
  }
});
