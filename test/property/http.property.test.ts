/**
 * The framework-free HTTP handler (adapters/http) fed any method, path,
 * headers and body: it answers 2xx, 3xx or 4xx (or leaves a path outside its
 * base path to the server), never 5xx, never rejects, and logs no internal
 * error. Run with a token and in dev mode, over a runtime that has runs,
 * events and dead letters to show.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler, type HttpHandler, type HttpRequest } from '../../adapters/http/index.js';
import { createRuntime, defineFunction, NonRetriableError, silentLogger, type Logger, type Runtime } from '../../index.js';
import { createMemoryTransport } from '../../transports/memory/index.js';
import { until } from '../conformance/transport.suite.js';
import { propertyRuns, runParameters, withCleanup } from './arbitraries.js';

const requests = propertyRuns(10_000);
const timeLimitMs = 30_000 + requests * 10;
const token = 'property-token-0123456789';
const namespace = `proph_${process.pid}_${Date.now().toString(36)}`;
const runIds: string[] = [];

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT'];
const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...methods) },
  { weight: 1, arbitrary: fc.constantFrom(...methods).map((m) => m.toLowerCase()) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);

// Percent-encodings valid and broken, dots, doubled slashes and ids that may exist.
const segment = fc.oneof(
  fc.constantFrom(
    'runs',
    'events',
    'replay',
    'functions',
    'dead-letters',
    'stream',
    'cancel',
    '',
    '.',
    '..',
    '%',
    '%E0%A4%A',
    '%2F',
    '%00',
    'run_x',
  ),
  fc.constant(null).map(() => runIds[0] ?? 'run_none'),
  fc.webSegment(),
  fc.string({ maxLength: 6 }),
);
const queryValue = fc.oneof(
  fc.constantFrom('', '0', '1', '50', '1000', '1001', '-1', '1e3', 'failed', 'succeeded', 'nope', 'MTIzOnJ1bl94', '%ZZ'),
  fc.string({ maxLength: 12 }),
  fc.nat().map(String),
);
const query = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('limit', 'cursor', 'status', 'name', 'functionId', 'eventId', 'lastEventId'), fc.string({ maxLength: 5 })),
      queryValue,
    ),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));
const runId = fc.oneof(
  fc.constant(null).map(() => runIds[0] ?? 'run_none'),
  fc.constant(null).map(() => runIds[1] ?? 'run_none'),
  segment,
);
// The routes there are, with the method each answers, so that most requests get past routing to the code behind it.
const route: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.constantFrom<[string, string]>(
    ['GET', ''],
    ['GET', '/'],
    ['POST', '/events'],
    ['GET', '/events'],
    ['GET', '/runs'],
    ['POST', '/replay'],
  ),
  fc.constantFrom<[string, string]>(
    ['GET', '/functions'],
    ['GET', '/dead-letters'],
    ['GET', '/stream'],
    ['POST', '/events'],
    ['POST', '/events'],
  ),
  runId.map((id): [string, string] => ['GET', `/runs/${id}`]),
  runId.map((id): [string, string] => ['POST', `/runs/${id}/cancel`]),
);
const url = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(route, query).map(([[, path], q]) => `/eventide${path}${q}`) },
  { weight: 3, arbitrary: fc.tuple(fc.array(segment, { maxLength: 4 }), query).map(([parts, q]) => `/eventide/${parts.join('/')}${q}`) },
  { weight: 1, arbitrary: fc.tuple(fc.array(segment, { maxLength: 3 }), query).map(([parts, q]) => `/${parts.join('/')}${q}`) },
  { weight: 1, arbitrary: fc.webUrl({ withQueryParameters: true, withFragments: true }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => `/eventide${s}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);

const headerValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
  fc.constant(undefined),
);
const headers = fc
  .record(
    {
      authorization: fc.oneof(
        { weight: 8, arbitrary: fc.constant(`Bearer ${token}`) },
        fc.constantFrom('Bearer', 'Bearer ', `bearer ${token}`, `Basic ${token}`, `Bearer ${token}x`, `Bearer  ${token}`),
        fc.string({ maxLength: 40 }),
        fc.constant([`Bearer ${token}`, `Bearer ${token}`] as string | string[]),
      ),
      host: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('localhost', '127.0.0.1:3000') },
        fc.constantFrom('localhost', '127.0.0.1:3000', '[::1]:80', 'evil.example', ''),
        fc.string({ maxLength: 20 }),
      ),
      'content-type': fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', ''),
      'content-length': fc.oneof(
        { weight: 4, arbitrary: fc.nat(4096).map(String) },
        fc.nat().map(String),
        fc.constantFrom('-1', '1e9', '99999999999999999999', 'abc', ''),
      ),
      'last-event-id': fc.oneof(fc.nat().map(String), fc.string({ maxLength: 10 })),
    },
    { requiredKeys: ['host', 'authorization'] },
  )
  // What dev mode refuses (another origin, a proxy) comes in one request out of five, so most get past the check.
  .chain((known) =>
    fc
      .oneof(
        { weight: 4, arbitrary: fc.constant({}) },
        fc.record(
          {
            origin: fc.oneof(
              fc.constantFrom('null', 'http://localhost', 'http://127.0.0.1:3000', 'https://evil.example'),
              fc.string({ maxLength: 20 }),
            ),
            'x-forwarded-for': fc.constantFrom('10.0.0.1', '127.0.0.1'),
            cookie: fc.string({ maxLength: 20 }),
          },
          { requiredKeys: [] },
        ),
      )
      .map((hostile) => ({ ...known, ...hostile })),
  )
  .chain((known) =>
    fc
      .dictionary(
        fc.string({ minLength: 1, maxLength: 12 }).map((k) => k.toLowerCase()),
        headerValue,
        { maxKeys: 3 },
      )
      .map((extra) => ({ ...extra, ...known })),
  );

const event = fc.record(
  {
    name: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('user/created', 'order/failed') }, fc.string({ maxLength: 10 })),
    data: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);
const jsonText = fc.oneof(
  event.map((e) => JSON.stringify(e)),
  fc.array(event, { maxLength: 3 }).map((e) => JSON.stringify(e)),
  fc.constantFrom(
    '[]',
    '{}',
    'null',
    '""',
    '{"runIds":[]}',
    '{"functionId":"fails"}',
    '{"functionId":"fails","status":"failed"}',
    '{"runIds":["run_x"]}',
    '{"functionId":"nope","status":"bogus"}',
  ),
  fc.constant(null).map(() => JSON.stringify({ runIds: runIds.slice(0, 2) })),
  fc.json({ maxDepth: 3 }),
);

/** A stream body that fails part way, as a request whose client went away does. */
async function* breaking(chunks: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* chunks;
  throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

const body: fc.Arbitrary<{ how: string; make: () => HttpRequest['body'] }> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ how: 'none', make: () => undefined }) },
  fc.constant({ how: 'null', make: () => null }),
  { weight: 6, arbitrary: jsonText.map((t) => ({ how: `text ${t}`, make: () => t })) },
  fc.string({ maxLength: 40 }).map((t) => ({ how: `text ${JSON.stringify(t)}`, make: () => t })),
  fc.uint8Array({ maxLength: 40 }).map((b) => ({ how: `bytes ${Buffer.from(b).toString('hex')}`, make: () => b })),
  jsonText.map((t) => ({ how: `bytes of ${t}`, make: () => Buffer.from(t) })),
  fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 4 }).map((chunks) => ({
    how: `stream of ${chunks.length} chunks`,
    make: () =>
      (async function* () {
        yield* chunks;
      })(),
  })),
  fc
    .array(fc.uint8Array({ maxLength: 8 }), { maxLength: 3 })
    .map((chunks) => ({ how: 'a stream that breaks', make: () => breaking(chunks) })),
  fc.integer({ min: 1, max: 3 }).map((k) => ({ how: `text of ${k} KiB over the limit`, make: () => 'x'.repeat(4096 + k * 1024) })),
);

const remoteAddress = fc.oneof(
  fc.constantFrom('127.0.0.1', '::1', '::ffff:127.0.0.1', '10.0.0.1', '', undefined),
  fc.string({ maxLength: 15 }),
);

const request = fc
  .record({ route, url, method, ownMethod: fc.boolean(), headers, body, remoteAddress })
  .map(({ route: [own, path], url, method, ownMethod, ...rest }) =>
    ownMethod ? { method: own, url: `/eventide${path}`, ...rest } : { method, url, ...rest },
  );

describe('property: the HTTP handler answers any request with 2xx/3xx/4xx, never 5xx, never throws', () => {
  let runtime: Runtime;
  const internal: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    error: (message: string, fields?: Record<string, unknown>) => internal.push(`${message} ${inspect(fields)}`),
  };
  const handlers: { name: string; handler: HttpHandler }[] = [];

  beforeAll(async () => {
    const ok = defineFunction({ id: 'ok', trigger: { event: 'user/created' } }, async ({ step }) => step.run('a', () => 1));
    const fails = defineFunction({ id: 'fails', trigger: { event: 'order/failed' }, retries: 0 }, () => {
      throw new NonRetriableError('no');
    });
    runtime = createRuntime({ transport: 'memory://', namespace, functions: [ok, fails], logger: silentLogger });
    await runtime.start();
    await runtime.send([
      { name: 'user/created', data: { a: 1 } },
      { name: 'order/failed', data: { b: [2] } },
    ]);
    await createMemoryTransport({ namespace }).publish('events', Uint8Array.of(1, 2, 3));
    await until(async () => (await runtime.listRuns()).filter((r) => r.status === 'succeeded' || r.status === 'failed').length === 2);
    runIds.push(...(await runtime.listRuns()).map((r) => r.id));
    handlers.push({ name: 'with a token', handler: createHttpHandler(runtime, { token, logger, maxBodyBytes: 4096 }) });
    handlers.push({ name: 'in dev mode', handler: createHttpHandler(runtime, { dev: true, logger, maxBodyBytes: 4096 }) });
  });

  afterAll(async () => {
    for (const { handler } of handlers) handler.close();
    await runtime?.stop({ timeoutMs: 1_000 });
  });

  it(
    `${requests} requests to each handler`,
    async () => {
      const started = Date.now();
      const tally = new Map<string, number>();
      for (const { name, handler } of handlers) {
        await fc.assert(
          fc.asyncProperty(request, async (r) => {
            const req: HttpRequest = {
              method: r.method,
              url: r.url,
              headers: r.headers,
              body: r.body.make(),
              remoteAddress: r.remoteAddress,
            };
            const described = () => inspect({ handler: name, ...r, body: r.body.how }, { depth: 4, breakLength: Infinity });
            let res: Awaited<ReturnType<HttpHandler['handle']>>;
            try {
              res = await handler.handle(req);
            } catch (e) {
              throw new Error(`handle() rejected with ${inspect(e)} for ${described()}`, { cause: e });
            }
            if (internal.length > 0)
              throw new Error(`the handler logged an internal error (${internal.splice(0).join('; ')}) for ${described()}`);
            if (res === undefined) {
              // Left to the server: only a path outside the base path may be.
              const path = URL.canParse(r.url, 'http://localhost') ? new URL(r.url, 'http://localhost').pathname : undefined;
              if (path !== undefined && (path === '/eventide' || path.startsWith('/eventide/')))
                throw new Error(`no answer for a path under /eventide: ${described()}`);
              tally.set('none', (tally.get('none') ?? 0) + 1);
              return;
            }
            if (!(res.status >= 200 && res.status < 500) || !Number.isInteger(res.status))
              throw new Error(`answered ${res.status} ${String(res.body)} to ${described()}`);
            tally.set(String(res.status), (tally.get(String(res.status)) ?? 0) + 1);
            if (res.stream) {
              // A client that leaves at once: the stream must close without throwing.
              const leave = new AbortController();
              leave.abort();
              res.stream({ write: () => undefined, end: () => undefined }, leave.signal);
            } else if (res.body !== undefined && /json/.test(res.headers['content-type'] ?? '')) {
              JSON.parse(String(res.body));
            }
          }),
          runParameters(requests, timeLimitMs),
        );
      }
      console.info(
        `http property: ${requests} requests to each of ${handlers.length} handlers, ${Date.now() - started} ms; answers ${[...tally]
          .sort()
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')}`,
      );
      expect(internal).toEqual([]);
    },
    withCleanup(2 * timeLimitMs),
  );
});
