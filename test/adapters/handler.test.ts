/** The core handler without a server: configuration, dev-mode checks, stream limits. */
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, silentLogger, type Runtime } from '../../index.js';
import { createHttpHandler, isLoopbackAddress, type HttpHandler, type HttpResponse, type StreamSink } from '../../adapters/http/index.js';

let n = 0;
const open: { runtime: Runtime; handler?: HttpHandler }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    o.handler?.close();
    await o.runtime.stop();
  }
});
async function runtime() {
  const rt = createRuntime({ logger: silentLogger, transport: 'memory://', namespace: `http_core_${process.pid}_${n++}` });
  await rt.start();
  open.push({ runtime: rt });
  return rt;
}
const json = (r: HttpResponse | undefined) => JSON.parse(String(r?.body));

describe('createHttpHandler', () => {
  it('needs a token of 16+ characters, or dev mode', async () => {
    const rt = await runtime();
    expect(() => createHttpHandler(rt)).toThrow(/needs a token, or dev: true/);
    expect(() => createHttpHandler(rt, { token: 'short' })).toThrow(/at least 16 characters/);
    expect(() => createHttpHandler(rt, { token: 'has a space in it, long enough' })).toThrow(/without spaces/);
    expect(() => createHttpHandler(rt, { dev: true, basePath: 'no-slash' })).toThrow(/basePath/);
    expect(() => createHttpHandler(rt, { dev: true, maxBodyBytes: 0 })).toThrow(/maxBodyBytes/);
    expect(() => createHttpHandler(rt, { dev: true, bodyTimeoutMs: 0 })).toThrow(/bodyTimeoutMs/);
    expect(() => createHttpHandler(rt, { dev: true, bodyTimeoutMs: 1.5 })).toThrow(/bodyTimeoutMs/);
    for (const bad of [
      '*',
      'https://app.example.com/path',
      'app.example.com',
      'https://app.example.com?x=1',
      'null',
      'https://u:p@app.example.com',
    ])
      expect(() => createHttpHandler(rt, { dev: true, allowedOrigins: [bad] }), bad).toThrow(/is not an origin/);
    expect(() => createHttpHandler(rt, { dev: true, allowedOrigins: 'https://app.example.com' as never })).toThrow(/must be an array/);
    createHttpHandler(rt, { dev: true, allowedOrigins: ['https://app.example.com', 'http://localhost:5173/'] }).close();
    createHttpHandler(rt, { dev: true }).close();
  });

  it('dev mode refuses non-loopback and unknown peers; a token still applies when set', async () => {
    const rt = await runtime();
    const handler = createHttpHandler(rt, { dev: true });
    open.push({ runtime: rt, handler });
    const get = (remoteAddress: string | undefined, host = '127.0.0.1:80') =>
      handler.handle({ method: 'GET', url: '/eventide/functions', headers: { host }, remoteAddress });
    expect((await get('127.0.0.1'))?.status).toBe(200);
    expect((await get('127.8.9.10'))?.status).toBe(200);
    expect((await get('::1', '[::1]:80'))?.status).toBe(200);
    expect((await get('::ffff:127.0.0.1', 'localhost'))?.status).toBe(200);
    expect((await get('10.1.2.3'))?.status).toBe(403);
    expect((await get('::ffff:192.168.1.2'))?.status).toBe(403);
    expect((await get(undefined))?.status).toBe(403);
    expect(json(await get('10.1.2.3')).error.message).toContain('loopback clients only');
    expect(await handler.handle({ method: 'GET', url: '/elsewhere', headers: {}, remoteAddress: '10.1.2.3' })).toBeUndefined();

    const both = createHttpHandler(rt, { dev: true, token: 'x'.repeat(20) });
    open.push({ runtime: rt, handler: both });
    expect(
      (await both.handle({ method: 'GET', url: '/eventide/runs', headers: { host: 'localhost' }, remoteAddress: '127.0.0.1' }))?.status,
    ).toBe(401);
  });

  it('dev mode with allowedOrigins: a local front end on another port may call; a remote peer gets no preflight', async () => {
    const rt = await runtime();
    const app = 'http://localhost:5173';
    const handler = createHttpHandler(rt, { dev: true, allowedOrigins: [app] });
    open.push({ runtime: rt, handler });
    const preflight = (remoteAddress: string) =>
      handler.handle({
        method: 'OPTIONS',
        url: '/eventide/events',
        headers: { host: 'localhost:3000', origin: app, 'access-control-request-method': 'POST' },
        remoteAddress,
      });
    expect((await preflight('127.0.0.1'))?.status).toBe(204);
    expect((await preflight('127.0.0.1'))?.headers['access-control-allow-origin']).toBe(app);
    expect((await preflight('10.1.2.3'))?.status).toBe(403);
    const send = (origin: string) =>
      handler.handle({
        method: 'POST',
        url: '/eventide/events',
        headers: { host: 'localhost:3000', origin },
        body: JSON.stringify({ name: 'a/b', data: {} }),
        remoteAddress: '127.0.0.1',
      });
    expect((await send(app))?.status).toBe(202);
    expect((await send('http://localhost:8080'))?.status).toBe(403);
    expect((await send('http://localhost:8080'))?.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('isLoopbackAddress', () => {
    for (const a of ['127.0.0.1', '127.255.0.1', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '0.0.0.0', '::', '', undefined, 'localhost', '127.0.0.1.evil'])
      expect(isLoopbackAddress(a), String(a)).toBe(false);
  });

  it('caps open streams (503) and ends them on close()', async () => {
    const rt = await runtime();
    const handler = createHttpHandler(rt, { token: 'y'.repeat(20), maxStreams: 2 });
    const req = { method: 'GET', url: '/eventide/stream', headers: { authorization: `Bearer ${'y'.repeat(20)}` } };
    const ended: number[] = [];
    const sinks: StreamSink[] = [0, 1].map((i) => ({ write: () => {}, end: () => void ended.push(i) }));
    for (const sink of sinks) (await handler.handle(req))?.stream?.(sink, new AbortController().signal);
    expect(handler.openStreams).toBe(2);
    const third = await handler.handle(req);
    expect(third?.status).toBe(503);
    handler.close();
    expect(ended).toEqual([0, 1]);
    expect(handler.openStreams).toBe(0);
  });

  it('serves the page with a fresh CSP nonce on each response', async () => {
    const rt = await runtime();
    const handler = createHttpHandler(rt, { token: 'z'.repeat(20), basePath: '/ops/' });
    open.push({ runtime: rt, handler });
    expect(handler.basePath).toBe('/ops');
    const a = await handler.handle({ method: 'GET', url: '/ops/', headers: {} });
    const b = await handler.handle({ method: 'GET', url: '/ops', headers: {} });
    const nonce = (r: HttpResponse | undefined) => /'nonce-([^']+)'/.exec(r?.headers['content-security-policy'] ?? '')?.[1];
    expect(nonce(a)).toBeTruthy();
    expect(nonce(a)).not.toBe(nonce(b));
    expect(String(a?.body)).toContain(`<script nonce="${nonce(a)}">`);
    expect(String(a?.body)).not.toContain('__NONCE__');
  });
});
