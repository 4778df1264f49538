/**
 * One suite for every HTTP adapter: each adapter's test file calls
 * `adapterSuite(name, startServer)` in a few lines. `startServer` serves the
 * given handler on a real socket (port 0) and returns its base URL; the
 * suite makes the handler, the runtime (memory transport, a unique
 * namespace per test) and stops both.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  defineFunction,
  NonRetriableError,
  silentLogger,
  type EventideFunction,
  type RunStateChange,
  type Runtime,
  type TransportOption,
} from '../../index.js';
import { createMemoryTransport } from '../../transports/memory/index.js';
import { createHttpHandler, type HttpHandler, type HttpHandlerOptions } from '../../adapters/http/index.js';
import { until } from '../conformance/transport.suite.js';

export interface StartedServer {
  /** e.g. `http://127.0.0.1:41234` (no trailing slash, no base path). */
  url: string;
  close(): Promise<void>;
}

/** Serves `handler` with the adapter under test, listening on `host` (default 127.0.0.1) and port 0. */
export type StartServer = (handler: HttpHandler, host?: string) => Promise<StartedServer>;

export const TOKEN = 'test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
const fast = { type: 'fixed', delay: 20, jitter: false } as const;
let counter = 0;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A raw HTTP request (node:http, so Host, Origin and chunked bodies are ours to set). */
export function call(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean } = {},
): Promise<Reply> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined && !options.chunked) headers['content-length'] = String(Buffer.byteLength(options.body));
    if (options.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export interface SseFrame {
  id?: string;
  event: string;
  data: string;
  comment?: string;
}

/** Opens `/stream` and collects its frames as they arrive. */
export function openStream(base: string, path: string, headers: Record<string, string> = {}) {
  const frames: SseFrame[] = [];
  let status = 0;
  let contentType = '';
  let buffer = '';
  const req = httpRequest(new URL(path, base), { method: 'GET', headers: { accept: 'text/event-stream', ...headers } });
  const ready = new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      contentType = String(res.headers['content-type']);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const raw = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const frame: SseFrame = { event: 'message', data: '' };
          for (const line of raw.split('\n')) {
            if (line.startsWith(':')) frame.comment = line.slice(1).trim();
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
            else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('data: ')) frame.data += line.slice(6);
            else if (line.startsWith('retry: ')) frame.event = 'retry';
          }
          frames.push(frame);
        }
      });
      res.on('error', () => {});
      resolve();
    });
    req.on('error', reject);
  });
  req.end();
  return {
    frames,
    ready,
    get status() {
      return status;
    },
    get contentType() {
      return contentType;
    },
    runs: () => frames.filter((f) => f.event === 'run').map((f) => ({ id: Number(f.id), change: JSON.parse(f.data) as RunStateChange })),
    close: () => req.destroy(),
  };
}

export function adapterSuite(name: string, startServer: StartServer): void {
  describe(`HTTP adapter: ${name}`, () => {
    const cleanups: (() => Promise<void> | void)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function setup(
      functions: EventideFunction<any, any>[] = [], // eslint-disable-line @typescript-eslint/no-explicit-any
      options: HttpHandlerOptions = { token: TOKEN },
      host?: string,
      transport: (namespace: string) => TransportOption = () => 'memory://',
    ) {
      const namespace = `http_${name}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
      const runtime: Runtime = createRuntime({
        logger: silentLogger,
        transport: transport(namespace),
        namespace,
        functions,
        ackWaitMs: 5_000,
      });
      await runtime.start();
      cleanups.push(() => runtime.stop({ timeoutMs: 1_000 }));
      const handler = createHttpHandler(runtime, options);
      const server = await startServer(handler, host);
      cleanups.push(async () => {
        handler.close();
        await server.close();
      });
      const base = `${server.url}${handler.basePath}`;
      const settled = (count: number, query: { functionId?: string } = {}) =>
        until(
          async () =>
            (await runtime.listRuns(query)).filter((r) => ['succeeded', 'failed', 'cancelled'].includes(r.status)).length >= count,
          10_000,
          `${count} runs to end`,
        );
      return { runtime, handler, server, base, url: server.url, settled };
    }

    const greet = defineFunction({ id: 'greet', trigger: { event: 'user/created' }, backoff: fast }, async ({ event, step, logger }) => {
      const name = await step.run('load', () => (event.data as { name: string }).name);
      logger.info('greeting', { name });
      return await step.run('greet', () => `hello ${name}`);
    });

    it('serves every route', async () => {
      const { base, settled } = await setup([greet]);
      const page = await call(base, 'GET', `${base}/`);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.headers['content-security-policy']).toContain("script-src 'nonce-");
      expect(page.text).toContain('<title>eventide</title>');
      expect((await call(base, 'GET', base)).status).toBe(200);

      const fns = await call(base, 'GET', `${base}/functions`, { headers: auth });
      expect(fns.json).toEqual({ functions: [{ id: 'greet', trigger: 'user/created', retries: 3 }] });

      const one = await call(base, 'POST', `${base}/events`, {
        headers: auth,
        body: JSON.stringify({ name: 'user/created', data: { name: 'Ada' } }),
      });
      expect(one.status).toBe(202);
      expect(one.json.ids).toHaveLength(1);
      const many = await call(base, 'POST', `${base}/events`, {
        headers: auth,
        body: JSON.stringify(
          [1, 2, 3, 4]
            .map((i) => ({ name: 'user/created', data: { name: `u${i}` } }))
            .concat([{ name: 'other/thing', data: { name: 'x' } }]),
        ),
      });
      expect(many.status).toBe(202);
      expect(many.json.ids).toHaveLength(5);
      await settled(5);

      const events = await call(base, 'GET', `${base}/events?name=user/created&limit=3`, { headers: auth });
      expect(events.status).toBe(200);
      expect(events.json.events).toHaveLength(3);
      expect(events.json.events.every((e: { name: string }) => e.name === 'user/created')).toBe(true);
      expect((await call(base, 'GET', `${base}/events`, { headers: auth })).json.events).toHaveLength(6);

      // cursor pagination: 5 runs, 2 per page, newest first, no overlap
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = `${base}/runs?functionId=greet&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page2 = await call(base, 'GET', q, { headers: auth });
        expect(page2.status).toBe(200);
        seen.push(...page2.json.runs.map((r: { id: string }) => r.id));
        cursor = page2.json.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(new Set(seen).size).toBe(5);
      const all = await call(base, 'GET', `${base}/runs?limit=50`, { headers: auth });
      expect(all.json.runs.map((r: { id: string }) => r.id)).toEqual(seen);
      expect(all.json.nextCursor).toBeNull();
      expect(all.json.runs[0]).not.toHaveProperty('machine');
      const byStatus = await call(base, 'GET', `${base}/runs?status=succeeded`, { headers: auth });
      expect(byStatus.json.runs).toHaveLength(5);
      const byEvent = await call(base, 'GET', `${base}/runs?eventId=${one.json.ids[0]}`, { headers: auth });
      expect(byEvent.json.runs).toHaveLength(1);
      expect((await call(base, 'GET', `${base}/runs?status=bogus`, { headers: auth })).status).toBe(400);
      expect((await call(base, 'GET', `${base}/runs?limit=0`, { headers: auth })).status).toBe(400);
      expect((await call(base, 'GET', `${base}/runs?cursor=%21%21`, { headers: auth })).status).toBe(400);

      const detail = await call(base, 'GET', `${base}/runs/${byEvent.json.runs[0].id}`, { headers: auth });
      expect(detail.status).toBe(200);
      const run = detail.json.run;
      expect(run).toMatchObject({
        functionId: 'greet',
        status: 'succeeded',
        output: 'hello Ada',
        event: { name: 'user/created', data: { name: 'Ada' } },
      });
      expect(run).not.toHaveProperty('machine');
      expect(run.steps.map((s: { id: string }) => s.id)).toEqual(['load', 'greet']);
      expect(run.steps[0]).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(typeof run.steps[0].durationMs).toBe('number');
      expect(typeof run.durationMs).toBe('number');
      expect(run.logs).toEqual([expect.objectContaining({ level: 'info', message: 'greeting', fields: { name: 'Ada' } })]);

      const missing = await call(base, 'GET', `${base}/runs/run_nope`, { headers: auth });
      expect(missing.status).toBe(404);
      expect(missing.json.error.code).toBe('RUN_NOT_FOUND');

      const dl = await call(base, 'GET', `${base}/dead-letters`, { headers: auth });
      expect(dl.status).toBe(200);
      expect(dl.json).toEqual({ deadLetters: [] });

      const unknown = await call(base, 'GET', `${base}/nope`, { headers: auth });
      expect(unknown.status).toBe(404);
      expect(unknown.json.error.code).toBe('NOT_FOUND');
      const wrong = await call(base, 'DELETE', `${base}/runs`, { headers: auth });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.allow).toBe('GET');
      expect((await call(base, 'PUT', `${base}/events`, { headers: auth })).headers.allow).toBe('POST, GET');
    });

    it('requires the bearer token for the API, not for the page', async () => {
      const { base } = await setup([greet]);
      for (const path of ['/functions', '/runs', '/events', '/dead-letters', '/runs/x', '/stream']) {
        const none = await call(base, 'GET', `${base}${path}`);
        expect(none.status, path).toBe(401);
        expect(none.headers['www-authenticate']).toBe('Bearer realm="eventide"');
        expect(none.json.error.code).toBe('UNAUTHORIZED');
        expect((await call(base, 'GET', `${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status, path).toBe(401);
      }
      expect((await call(base, 'GET', `${base}/functions`, { headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` } })).status).toBe(
        401,
      );
      expect((await call(base, 'GET', `${base}/functions`, { headers: { authorization: TOKEN } })).status).toBe(401);
      expect((await call(base, 'POST', `${base}/events`, { body: JSON.stringify({ name: 'user/created', data: {} }) })).status).toBe(401);
      expect((await call(base, 'GET', `${base}/functions`, { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
      expect((await call(base, 'GET', `${base}/`)).status).toBe(200);
    });

    it('dev mode: no token, loopback only', async () => {
      const { base, url } = await setup([greet], { dev: true });
      const host = new URL(url).host;
      expect((await call(base, 'GET', `${base}/functions`)).status).toBe(200);
      expect((await call(base, 'GET', `${base}/functions`, { headers: { host: `localhost:${new URL(url).port}` } })).status).toBe(200);
      const sent = await call(base, 'POST', `${base}/events`, {
        headers: { origin: `http://${host}` },
        body: JSON.stringify({ name: 'user/created', data: { name: 'x' } }),
      });
      expect(sent.status).toBe(202);
      const rebinding = await call(base, 'GET', `${base}/functions`, { headers: { host: 'evil.example' } });
      expect(rebinding.status).toBe(403);
      expect(rebinding.json.error.message).toContain('loopback Host');
      const crossSite = await call(base, 'POST', `${base}/events`, {
        headers: { origin: 'https://evil.example' },
        body: JSON.stringify({ name: 'user/created', data: {} }),
      });
      expect(crossSite.status).toBe(403);
      expect((await call(base, 'GET', `${base}/functions`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(403);
      expect((await call(base, 'GET', `${base}/`, { headers: { forwarded: 'for=203.0.113.9' } })).status).toBe(403);
    });

    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    it.runIf(external !== undefined)(
      'dev mode refuses a client that is not on loopback (the adapter passes the real peer address)',
      async () => {
        const { url, handler } = await setup([greet], { dev: true }, '0.0.0.0');
        const port = new URL(url).port;
        const remote = `http://${external}:${port}`;
        const refused = await call(remote, 'GET', `${remote}${handler.basePath}/functions`, { headers: { host: `127.0.0.1:${port}` } });
        expect(refused.status).toBe(403);
        expect(refused.json.error.message).toContain('loopback clients only');
        expect((await call(remote, 'GET', `${remote}${handler.basePath}/`, { headers: { host: `127.0.0.1:${port}` } })).status).toBe(403);
        const local = `http://127.0.0.1:${port}`;
        expect((await call(local, 'GET', `${local}${handler.basePath}/functions`)).status).toBe(200);
      },
    );

    it('refuses oversize bodies (413), malformed JSON and invalid events (400)', async () => {
      const { base, runtime } = await setup([greet]);
      const big = JSON.stringify({ name: 'user/created', data: { pad: 'x'.repeat(1024 * 1024) } });
      const oversize = await call(base, 'POST', `${base}/events`, { headers: auth, body: big });
      expect(oversize.status).toBe(413);
      expect(oversize.json.error).toMatchObject({ code: 'BODY_TOO_LARGE' });
      const chunked = await call(base, 'POST', `${base}/events`, { headers: auth, body: big, chunked: true });
      expect(chunked.status).toBe(413);

      const malformed = await call(base, 'POST', `${base}/events`, { headers: auth, body: '{"name": "user/created", ' });
      expect(malformed.status).toBe(400);
      expect(malformed.json.error.code).toBe('MALFORMED_JSON');
      expect(malformed.json.error.message).toMatch(/^request body is not valid JSON: /);
      const empty = await call(base, 'POST', `${base}/events`, { headers: auth, body: '' });
      expect(empty.status).toBe(400);
      expect(empty.json.error.code).toBe('EMPTY_BODY');

      const noName = await call(base, 'POST', `${base}/events`, { headers: auth, body: JSON.stringify({ data: {} }) });
      expect(noName.status).toBe(400);
      expect(noName.json.error).toEqual({ code: 'INVALID_NAME', message: 'event #0 needs a non-empty string name' });
      const batch = await call(base, 'POST', `${base}/events`, {
        headers: auth,
        body: JSON.stringify([
          { name: 'user/created', data: {} },
          { name: 'user/created', id: '' },
        ]),
      });
      expect(batch.status).toBe(400);
      expect(batch.json.error).toMatchObject({ code: 'INVALID_ID', eventName: 'user/created' });
      expect((await call(base, 'POST', `${base}/events`, { headers: auth, body: '"just a string"' })).json.error.code).toBe(
        'INVALID_EVENT',
      );
      expect(await runtime.listEvents()).toEqual([]);
      // the body is JSON whatever the content type says (the framework's own parsers are not in the way)
      const plain = await call(base, 'POST', `${base}/events`, {
        headers: { ...auth, 'content-type': 'text/plain' },
        body: '{"name":"user/created","data":{"name":"t"}}',
      });
      expect(plain.status).toBe(202);
      await until(async () => (await runtime.listEvents()).length === 1, 5_000, 'the event');
      expect((await runtime.listEvents())[0].data).toEqual({ name: 't' });

      // a small limit, and a body that comes in chunks
      const { base: small } = await setup([greet], { token: TOKEN, maxBodyBytes: 64 });
      const over = await call(small, 'POST', `${small}/events`, {
        headers: auth,
        body: JSON.stringify({ name: 'user/created', data: { pad: 'y'.repeat(100) } }),
        chunked: true,
      });
      expect(over.status).toBe(413);
      expect(over.json.error.message).toBe('request body is larger than 64 bytes (maxBodyBytes)');
      expect(
        (
          await call(small, 'POST', `${small}/events`, {
            headers: auth,
            body: JSON.stringify({ name: 'user/created', data: {} }),
            chunked: true,
          })
        ).status,
      ).toBe(202);
    });

    it('streams run changes in order, resumes with Last-Event-ID, and unsubscribes on disconnect', async () => {
      let calls = 0;
      const flaky = defineFunction({ id: 'flaky', trigger: { event: 'job/go' }, backoff: fast, retries: 2 }, async ({ step }) => {
        await step.run('work', () => {
          if (++calls === 1) throw new Error('first try fails');
        });
      });
      const { base, handler, settled } = await setup([flaky], { token: TOKEN, heartbeatMs: 50 });
      const s1 = openStream(base, `${base}/stream`, auth);
      await s1.ready;
      expect(s1.status).toBe(200);
      expect(s1.contentType).toContain('text/event-stream');
      await until(() => s1.frames.some((f) => f.event === 'hello'), 5_000, 'hello');
      const hello = s1.frames.find((f) => f.event === 'hello');
      // Ids are positions on the transport, so they outlive this handler (see the restart test).
      expect(hello?.id).toMatch(/^\d+$/);
      expect(hello?.data).toBe(JSON.stringify({ lastEventId: hello?.id }));
      expect(handler.openStreams).toBe(1);
      await call(base, 'POST', `${base}/events`, { headers: auth, body: JSON.stringify({ name: 'job/go', data: {} }) });
      await settled(1);
      await until(() => s1.runs().length >= 4, 5_000, '4 run changes');
      const first = s1.runs();
      expect(first.map((r) => `${r.change.from}>${r.change.to}`)).toEqual([
        'pending>running',
        'running>retrying',
        'retrying>running',
        'running>succeeded',
      ]);
      expect(first.every((r, i) => r.id >= (i === 0 ? Number(hello?.id) : first[i - 1].id))).toBe(true);
      expect(first[3].id).toBeGreaterThan(Number(hello?.id));
      expect(first[1].change.error?.message).toBe('first try fails');
      await until(() => s1.frames.some((f) => f.comment === 'ping'), 5_000, 'a heartbeat');

      // disconnect; more changes happen while away
      s1.close();
      await until(() => handler.openStreams === 0, 5_000, 'the stream to unsubscribe');
      await call(base, 'POST', `${base}/events`, {
        headers: auth,
        body: JSON.stringify([
          { name: 'job/go', data: { n: 2 } },
          { name: 'job/go', data: { n: 3 } },
        ]),
      });
      await settled(3);

      // Resuming after the last change seen: exactly the four made meanwhile, no hello, no reset.
      const s2 = openStream(base, `${base}/stream`, { ...auth, 'last-event-id': String(first[3].id) });
      await until(() => s2.runs().length >= 4, 5_000, 'the missed changes');
      await new Promise((r) => setTimeout(r, 100));
      const missed = s2.runs();
      expect(missed).toHaveLength(4);
      expect(missed.map((r) => r.change.to).sort()).toEqual(['running', 'running', 'succeeded', 'succeeded']);
      // A change shares its broadcast's position only if it is the broadcast's last; the others carry the one before.
      expect(missed.every((r) => r.id >= first[3].id)).toBe(true);
      expect(missed[3].id).toBeGreaterThan(first[3].id);
      expect(s2.frames.some((f) => f.event === 'hello' || f.event === 'reset')).toBe(false);
      s2.close();

      // Resuming after the second change: the rest of the first run, then the four; the second change again at most.
      const s4 = openStream(base, `${base}/stream`, { ...auth, 'last-event-id': String(first[1].id) });
      await until(() => s4.runs().length >= 6, 5_000, 'the changes after the second');
      await new Promise((r) => setTimeout(r, 100));
      const after2 = s4.runs().map((r) => r.change);
      const expected = [...first.slice(2).map((r) => r.change), ...missed.map((r) => r.change)];
      expect(after2.slice(-expected.length)).toEqual(expected);
      expect(after2.slice(0, after2.length - expected.length)).toEqual(after2.length > expected.length ? [first[1].change] : []);
      s4.close();

      // an id no broadcast ever had (another server, a flushed one) → reset, then every change the window holds
      const s3 = openStream(base, `${base}/stream`, { ...auth, 'last-event-id': '999999' });
      await until(() => s3.runs().length >= 8, 5_000, 'reset and replay');
      const reset = s3.frames.find((f) => f.event === 'reset');
      expect(reset?.id).toMatch(/^\d+$/);
      expect(JSON.parse(reset?.data ?? '{}')).toEqual({ lastEventId: reset?.id, reason: 'unknown' });
      expect(s3.frames.map((f) => f.event).slice(0, 3)).toEqual(['retry', 'reset', 'run']);
      expect(s3.runs().map((r) => r.change)).toEqual([...first.map((r) => r.change), ...missed.map((r) => r.change)]);
      s3.close();
      await until(() => handler.openStreams === 0, 5_000, 'all streams to unsubscribe');
    });

    it("resets a client whose Last-Event-ID has left the transport's window, then sends what it still holds", async () => {
      const quick = defineFunction({ id: 'quick', trigger: { event: 'job/go' } }, async () => 'ok');
      const { base, settled } = await setup([quick], { token: TOKEN }, undefined, (namespace) =>
        createMemoryTransport({ namespace, broadcastWindow: 2 }),
      );
      const s0 = openStream(base, `${base}/stream`, auth);
      await until(() => s0.frames.some((f) => f.event === 'hello'), 5_000, 'hello');
      const start = s0.frames.find((f) => f.event === 'hello')?.id as string;
      // One run at a time, apart: each ends in a broadcast of its own, more than the window keeps.
      for (let n = 1; n <= 4; n++) {
        await call(base, 'POST', `${base}/events`, { headers: auth, body: JSON.stringify({ name: 'job/go', data: { n } }) });
        await settled(n);
        await new Promise((r) => setTimeout(r, 30));
      }
      await until(() => s0.runs().filter((r) => r.change.to === 'succeeded').length === 4, 5_000, 'every change live');
      const newest = String(s0.runs().at(-1)?.id);
      s0.close();
      const gone = openStream(base, `${base}/stream`, { ...auth, 'last-event-id': start });
      await until(() => gone.runs().some((r) => r.change.to === 'succeeded'), 5_000, 'what the window holds');
      expect(gone.frames.map((f) => f.event).slice(0, 2)).toEqual(['retry', 'reset']);
      expect(JSON.parse(gone.frames[1].data)).toMatchObject({ reason: 'expired' });
      // What follows is the end of what was sent: the last run's changes, none of the first's.
      const held = gone.runs();
      expect(held.at(-1)?.change).toEqual(s0.runs().at(-1)?.change);
      expect(held.length).toBeLessThan(s0.runs().length);
      gone.close();
      const current = openStream(base, `${base}/stream`, { ...auth, 'last-event-id': newest });
      await new Promise((r) => setTimeout(r, 200));
      expect(current.frames.map((f) => f.event)).toEqual(['retry']);
      current.close();
    });

    it('replays and cancels through the API', async () => {
      let broken = true;
      const charge = defineFunction({ id: 'charge', trigger: { event: 'order/paid' }, backoff: fast }, async ({ step }) => {
        return step.run('charge', () => {
          if (broken) throw new NonRetriableError('card processor misconfigured');
          return { charged: true };
        });
      });
      const nap = defineFunction({ id: 'nap', trigger: { event: 'nap/start' } }, async ({ step }) => {
        await step.sleep('long', '1h');
      });
      const { base, runtime, settled } = await setup([charge, nap]);
      await call(base, 'POST', `${base}/events`, {
        headers: auth,
        body: JSON.stringify([
          { name: 'order/paid', data: { n: 1 } },
          { name: 'order/paid', data: { n: 2 } },
        ]),
      });
      await settled(2, { functionId: 'charge' });
      const failed = await call(base, 'GET', `${base}/runs?functionId=charge&status=failed`, { headers: auth });
      expect(failed.json.runs).toHaveLength(2);
      expect(failed.json.runs[0].error).toEqual({ name: 'NonRetriableError', message: 'card processor misconfigured' });

      broken = false;
      const replay = await call(base, 'POST', `${base}/replay`, {
        headers: auth,
        body: JSON.stringify({ functionId: 'charge', status: 'failed' }),
      });
      expect(replay.status).toBe(200);
      expect(replay.json.ids).toHaveLength(2);
      await settled(4, { functionId: 'charge' });
      for (const id of replay.json.ids) {
        const r = await call(base, 'GET', `${base}/runs/${id}`, { headers: auth });
        expect(r.json.run).toMatchObject({ status: 'succeeded', output: { charged: true } });
        expect(failed.json.runs.map((f: { id: string }) => f.id)).toContain(r.json.run.replayOf);
      }
      const byIds = await call(base, 'POST', `${base}/replay`, {
        headers: auth,
        body: JSON.stringify({ runIds: [failed.json.runs[0].id] }),
      });
      expect(byIds.json.ids).toHaveLength(1);
      await settled(5, { functionId: 'charge' });
      expect(
        (await call(base, 'POST', `${base}/replay`, { headers: auth, body: JSON.stringify({ runIds: ['run_missing'] }) })).status,
      ).toBe(404);
      expect((await call(base, 'POST', `${base}/replay`, { headers: auth, body: JSON.stringify({}) })).status).toBe(400);
      expect((await call(base, 'POST', `${base}/replay`, { headers: auth, body: JSON.stringify({ functionId: 'nope' }) })).status).toBe(
        200,
      );
      expect(
        (await call(base, 'POST', `${base}/replay`, { headers: auth, body: JSON.stringify({ functionId: 'charge', status: 'weird' }) }))
          .status,
      ).toBe(400);

      const sent = await call(base, 'POST', `${base}/events`, { headers: auth, body: JSON.stringify({ name: 'nap/start', data: {} }) });
      await until(async () => (await runtime.listRuns({ functionId: 'nap' }))[0]?.status === 'sleeping', 5_000, 'the nap to sleep');
      const [napRun] = await runtime.listRuns({ eventId: sent.json.ids[0] });
      const cancelled = await call(base, 'POST', `${base}/runs/${napRun.id}/cancel`, { headers: auth });
      expect(cancelled.status).toBe(200);
      expect(cancelled.json.run).toMatchObject({ id: napRun.id, status: 'cancelled' });
      expect((await runtime.getRun(napRun.id))?.status).toBe('cancelled');
      expect((await call(base, 'POST', `${base}/runs/run_missing/cancel`, { headers: auth })).status).toBe(404);
      expect((await call(base, 'GET', `${base}/runs/${napRun.id}/cancel`, { headers: auth })).status).toBe(405);
    });
  });
}
