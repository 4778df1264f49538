/**
 * @module
 * `createHttpHandler`: the runtime's HTTP API and dashboard, once, for every
 * framework. Routes (under `basePath`, default `/eventide`):
 *
 *   GET  /                    the dashboard page (no auth; the page asks for the token)
 *   POST /events              send one event or an array → 202 { ids }
 *   GET  /events              ?name&limit → { events }
 *   GET  /runs                ?functionId&status&eventId&q&from&to&limit&cursor → { runs, nextCursor } (q, from, to: run-filter.ts)
 *   GET  /runs/:id            → { run } with steps, logs, output, error; 404 when missing
 *   POST /runs/:id/cancel     → { run }
 *   POST /replay              { functionId, status? } or { runIds } → { ids }
 *   GET  /functions           → { functions } (with its limits and how many runs wait, for a function that has limits)
 *   GET  /stats               ?from&to → per function: runs by status, waiting, delayed, backlog, sparklines (stats.ts)
 *   GET  /dead-letters        ?limit → { deadLetters }
 *   GET  /stream              Server-Sent Events of run-state changes (see sse.ts)
 *   GET  /metrics             Prometheus text format (token-protected unless `openMetrics: true`)
 *
 * Errors are `{ error: { code, message } }` with 400 (bad input), 401, 403
 * (dev mode, not loopback; a write from another site), 404, 405 (with Allow),
 * 408 (body too slow), 413 (body too large), 503 (runtime stopped). A 401 is
 * the same for every path, so it tells nothing about which runs exist.
 * The handler reaches the runtime's data only through Runtime methods.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, EventValidationError, RuntimeStoppedError, coerceError } from '../../core/errors.js';
import { defaultLogger, type Logger } from '../../core/logger.js';
import type { ListRunsQuery, Runtime } from '../../core/runtime.js';
import type { RunRecord, RunStatus } from '../../core/types.js';
import { metricsContentType } from '../../core/runtime.js';
import { bearerChecker, devRefusal } from './auth.js';
import { HttpError, parseJson, readText, type BodyLimits } from './body.js';
import { dashboardHtml } from './dashboard-html.js';
import { crossSiteRefusal, listedOrigin, parseAllowedOrigins, preflightHeaders } from './origin.js';
import { RunStream } from './sse.js';
import type { HttpHandler, HttpRequest, HttpResponse } from './types.js';
import { deadLetterView, runDetail, runSummary, toJson } from './views.js';
import { cursorMember, runCursor } from '../../core/run-index.js';
import type { FlowDescription } from '../../core/flow/describe.js';
import { matchesRun, runFilterOf, type RunFilter } from './run-filter.js';
import { functionStats, type StatsSource } from './stats.js';

/** A function as `GET /functions` lists it; trigger and retries are absent where only its runs are known (`eventide dashboard`). */
export interface FunctionView {
  id: string;
  trigger?: string;
  retries?: number;
  /** Its limits, when it has any (flow control). */
  limits?: FlowDescription;
  /** Its cron schedules, each with its next tick (epoch milliseconds). */
  crons?: { cron: string; tz?: string; nextTick?: number }[];
  /** The earliest next tick of its cron schedules. */
  nextTick?: number;
}

/** The Runtime methods the handler uses. */
export type HttpRuntime = Pick<
  Runtime,
  'send' | 'on' | 'watch' | 'getRun' | 'listRuns' | 'listEvents' | 'deadLetters' | 'replay' | 'cancel'
> & {
  listFunctions(): FunctionView[];
  /** The Prometheus text of `GET /metrics`; without it (a dashboard outside the service) the route answers 404. */
  metrics?(): Promise<string>;
} & Pick<StatsSource, 'backlogs'>;

export interface HttpHandlerOptions {
  /** Path prefix of every route. Default `/eventide`. */
  basePath?: string;
  /** Bearer token every API call must carry (at least 16 characters). Required unless `dev: true`. */
  token?: string;
  /** No token needed, but only loopback clients (127.0.0.1, ::1) on a loopback Host are answered. For local development. */
  dev?: boolean;
  /** Largest request body accepted. Default 1 MiB; larger → 413 and the connection is closed. */
  maxBodyBytes?: number;
  /** Time allowed for a request body to arrive in full, however slowly it trickles. Default 15 s; longer → 408 and the connection is closed. */
  bodyTimeoutMs?: number;
  /**
   * Browser origins other than the server's own allowed to call the API, as `scheme://host[:port]`
   * (e.g. a front end on another port in development). They get CORS headers and may write; no
   * other origin gets any CORS header, and a write from one is refused (403). Default: none.
   */
  allowedOrigins?: string[];
  /** Heartbeat comment interval on `/stream`. Default 15 s. */
  heartbeatMs?: number;
  /** Open `/stream` connections allowed at once. Default 100; more → 503. */
  maxStreams?: number;
  /**
   * Serve `GET /metrics` without a token (a Prometheus scraper inside your network, say). Default false:
   * the scraper sends the token as `Authorization: Bearer …` (Prometheus's `authorization` setting).
   */
  openMetrics?: boolean;
  /** Where unexpected errors (500) are logged. Default: stderr. */
  logger?: Logger;
}

const statuses: ReadonlySet<string> = new Set<RunStatus>([
  'pending',
  'running',
  'sleeping',
  'retrying',
  'waiting',
  'succeeded',
  'failed',
  'cancelled',
  'skipped',
]);
// An error message can echo the request (a path, an id): opened in a browser tab, it must stay inert text.
const jsonHeaders = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
  // Another site may not even load the API's answers into its own page (a <script src> or <img> of them); CORS requests are unaffected.
  'cross-origin-resource-policy': 'same-origin',
};

type Params = { id?: string };
// Names a client might put a token under in a URL; none is ever read, but the 401 says why.
const tokenParams = ['token', 'access_token', 'authorization', 'key'];
type Ctx = { request: HttpRequest; query: URLSearchParams; params: Params; header: (name: string) => string | undefined };
type Action = (ctx: Ctx) => Promise<HttpResponse> | HttpResponse;
interface Route {
  pattern: RegExp;
  methods: Record<string, Action>;
  public?: boolean;
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { ...jsonHeaders, ...headers },
  body: toJson(value),
});
const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}, details?: Record<string, unknown>) =>
  json(status, { error: { code, message, ...details } }, headers);

function intParam(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max)
    throw new HttpError(400, 'INVALID_QUERY', `${name} must be a whole number from 1 to ${max}`);
  return Number(raw);
}

function statusParam(value: unknown, name: string): RunStatus | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !statuses.has(value))
    throw new HttpError(400, 'INVALID_STATUS', `${name} must be one of ${[...statuses].join(', ')}`);
  return value as RunStatus;
}

function normaliseBasePath(basePath: string): string {
  const trimmed = basePath.replace(/\/+$/, '');
  if (trimmed !== '' && !/^\/[A-Za-z0-9._~\-/]*$/.test(trimmed))
    throw new ConfigError(`basePath "${basePath}" must start with '/' and be a plain path`);
  return trimmed;
}

/**
 * Creates the handler for a runtime. It subscribes to run changes at once (for
 * `/stream`); call `close()` when done with it.
 *
 * @example
 * ```ts
 * const handler = createHttpHandler(runtime, { token: process.env.EVENTIDE_TOKEN });
 * const res = await handler.handle({ method: 'GET', url: '/eventide/runs', headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export function createHttpHandler(runtime: HttpRuntime, options: HttpHandlerOptions = {}): HttpHandler {
  const basePath = normaliseBasePath(options.basePath ?? '/eventide');
  const dev = options.dev === true;
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token.length < 16 || /\s/.test(options.token))) {
    throw new ConfigError(
      'the HTTP token must be a string of at least 16 characters, without spaces (e.g. crypto.randomBytes(24).toString("base64url"))',
    );
  }
  if (options.token === undefined && !dev)
    throw new ConfigError('createHttpHandler needs a token, or dev: true (loopback clients only, no token)');
  const checkToken = options.token === undefined ? undefined : bearerChecker(options.token);
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0)
    throw new ConfigError(`maxBodyBytes must be a whole number > 0, got ${maxBodyBytes}`);
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 15_000;
  if (!Number.isInteger(bodyTimeoutMs) || bodyTimeoutMs <= 0)
    throw new ConfigError(`bodyTimeoutMs must be a whole number of milliseconds > 0, got ${bodyTimeoutMs}`);
  const limits: BodyLimits = { maxBytes: maxBodyBytes, timeoutMs: bodyTimeoutMs };
  const allowedOrigins = parseAllowedOrigins(options.allowedOrigins);
  const logger = options.logger ?? defaultLogger;
  const stream = new RunStream((listener, o) => runtime.watch(listener, o), {
    heartbeatMs: options.heartbeatMs ?? 15_000,
    maxStreams: options.maxStreams ?? 100,
    onError: (e) => logger.warn('a /stream client could not be watched; it will reconnect', { error: coerceError(e).message }),
  });

  const readJson = async (ctx: Ctx): Promise<unknown> => parseJson(await readText(ctx.request, limits, ctx.header('content-length')));

  const page = (): HttpResponse => {
    const nonce = randomBytes(16).toString('base64');
    return {
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
        // A page on another site that opened this one gets no handle on its window.
        'cross-origin-opener-policy': 'same-origin',
        'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      },
      body: dashboardHtml(nonce),
    };
  };

  const routes: Route[] = [
    { pattern: /^\/?$/, methods: { GET: page }, public: true },
    {
      pattern: /^\/events$/,
      methods: {
        POST: async (ctx) => {
          const body = await readJson(ctx);
          if (body === undefined)
            throw new HttpError(400, 'EMPTY_BODY', 'request body is empty: send a JSON event { "name", "data" } or an array of them');
          if (Array.isArray(body) && body.length === 0) throw new HttpError(400, 'EMPTY_BATCH', 'the array of events is empty');
          return json(202, await runtime.send(body as Parameters<HttpRuntime['send']>[0]));
        },
        GET: async ({ query }) => {
          const name = query.get('name') || undefined;
          return json(200, { events: await runtime.listEvents({ name, limit: intParam(query, 'limit', 50, 1000) }) });
        },
      },
    },
    {
      pattern: /^\/runs$/,
      methods: {
        GET: async ({ query }) => {
          const limit = intParam(query, 'limit', 50, 500);
          const cursor = query.get('cursor') || undefined;
          if (cursor && !cursorMember(cursor)) throw new HttpError(400, 'INVALID_CURSOR', 'cursor is not one this API returned');
          const base = {
            functionId: query.get('functionId') || undefined,
            status: statusParam(query.get('status'), 'status'),
            eventId: query.get('eventId') || undefined,
          };
          const filter = runFilterOf(query);
          // One more than the page: whether there is a next page, without a count.
          const runs = filter
            ? await filteredRuns(runtime, base, filter, limit + 1, cursor)
            : await runtime.listRuns({ ...base, limit: limit + 1, cursor });
          const page = runs.slice(0, limit);
          const nextCursor = runs.length > limit ? runCursor(page[page.length - 1]) : null;
          return json(200, { runs: page.map(runSummary), nextCursor });
        },
      },
    },
    {
      pattern: /^\/runs\/([^/]+)$/,
      methods: {
        GET: async ({ params }) => {
          const run = await runtime.getRun(params.id as string);
          return run ? json(200, { run: runDetail(run) }) : fail(404, 'RUN_NOT_FOUND', `no run "${params.id}"`);
        },
      },
    },
    {
      pattern: /^\/runs\/([^/]+)\/cancel$/,
      methods: {
        POST: async (ctx) => {
          // Read though unused, so that a body trickled in here is cut at bodyTimeoutMs like any other write's.
          await readText(ctx.request, limits, ctx.header('content-length'));
          const id = ctx.params.id as string;
          if (!(await runtime.getRun(id))) return fail(404, 'RUN_NOT_FOUND', `no run "${id}"`);
          return json(200, { run: runSummary(await runtime.cancel(id)) });
        },
      },
    },
    {
      pattern: /^\/replay$/,
      methods: {
        POST: async (ctx) => {
          const body = await readJson(ctx);
          if (!body || typeof body !== 'object' || Array.isArray(body))
            throw new HttpError(400, 'INVALID_REPLAY', 'send { "functionId", "status"? } or { "runIds": [...] }');
          const { functionId, status, runIds } = body as Record<string, unknown>;
          if (runIds !== undefined) {
            if (!Array.isArray(runIds) || runIds.length === 0 || !runIds.every((id) => typeof id === 'string' && id.length > 0)) {
              throw new HttpError(400, 'INVALID_REPLAY', 'runIds must be a non-empty array of run ids');
            }
            for (const id of runIds as string[]) if (!(await runtime.getRun(id))) return fail(404, 'RUN_NOT_FOUND', `no run "${id}"`);
            return json(200, { ids: await runtime.replay({ runIds: runIds as string[] }) });
          }
          if (typeof functionId !== 'string' || functionId.length === 0)
            throw new HttpError(400, 'INVALID_REPLAY', 'send { "functionId", "status"? } or { "runIds": [...] }');
          return json(200, { ids: await runtime.replay({ functionId, status: statusParam(status, 'status') ?? 'failed' }) });
        },
      },
    },
    {
      pattern: /^\/functions$/,
      methods: {
        GET: async () => {
          const functions = runtime.listFunctions();
          // Only functions with limits have runs that wait; the count reads the run records, so it is not paid without them.
          if (!functions.some((f) => f.limits)) return json(200, { functions });
          const waiting = new Map<string, number>();
          for (const r of await runtime.listRuns({ status: 'waiting', limit: Number.MAX_SAFE_INTEGER }))
            waiting.set(r.functionId, (waiting.get(r.functionId) ?? 0) + 1);
          return json(200, { functions: functions.map((f) => (f.limits ? { ...f, waiting: waiting.get(f.id) ?? 0 } : f)) });
        },
      },
    },
    {
      pattern: /^\/stats$/,
      methods: {
        GET: async ({ query }) => {
          const range = runFilterOf(query);
          return json(200, await functionStats(runtime, { from: range?.from, to: range?.to }, Date.now()));
        },
      },
    },
    {
      pattern: /^\/dead-letters$/,
      methods: {
        GET: async ({ query }) =>
          json(200, { deadLetters: (await runtime.deadLetters({ limit: intParam(query, 'limit', 50, 1000) })).map(deadLetterView) }),
      },
    },
    {
      pattern: /^\/metrics$/,
      public: options.openMetrics === true,
      methods: {
        GET: async () => {
          if (!runtime.metrics) return fail(404, 'NO_METRICS', 'this handler serves no runtime of its own, so it has no metrics');
          return {
            status: 200,
            headers: { 'content-type': metricsContentType, 'cache-control': 'no-store' },
            body: await runtime.metrics(),
          };
        },
      },
    },
    {
      pattern: /^\/stream$/,
      methods: {
        GET: ({ header, query }) => {
          if (stream.full) return fail(503, 'TOO_MANY_STREAMS', 'too many open streams', { 'retry-after': '5' });
          const lastEventId = header('last-event-id') ?? (query.get('lastEventId') || undefined);
          return {
            status: 200,
            headers: {
              'content-type': 'text/event-stream; charset=utf-8',
              'cache-control': 'no-store',
              connection: 'keep-alive',
              'x-accel-buffering': 'no',
            },
            stream: (sink, signal) => stream.attach(sink, signal, lastEventId),
          };
        },
      },
    },
  ];

  async function handle(request: HttpRequest): Promise<HttpResponse | undefined> {
    let url: URL;
    try {
      url = new URL(request.url, 'http://localhost');
    } catch {
      return undefined;
    }
    const path = url.pathname;
    if (path !== basePath && !path.startsWith(`${basePath}/`)) return undefined;
    const header = (name: string): string | undefined => {
      const v = request.headers[name];
      return Array.isArray(v) ? v.join(', ') : (v as string | undefined);
    };
    const origin = listedOrigin(header, allowedOrigins);
    const response = await answer(request, url, header, origin);
    if (allowedOrigins.size === 0) return response;
    // Answers differ by Origin once some origins are listed; a cache in between must not hand one origin's to another.
    const cors: Record<string, string> = origin ? { 'access-control-allow-origin': origin, vary: 'origin' } : { vary: 'origin' };
    return { ...response, headers: { ...response.headers, ...cors } };
  }

  async function answer(
    request: HttpRequest,
    url: URL,
    header: (name: string) => string | undefined,
    origin: string | undefined,
  ): Promise<HttpResponse> {
    const path = url.pathname;
    const method = request.method.toUpperCase();
    const notLocal = dev ? devRefusal(request.remoteAddress, header) : undefined;
    if (notLocal) return fail(403, 'FORBIDDEN', notLocal);
    if (method === 'OPTIONS' && origin !== undefined && header('access-control-request-method') !== undefined)
      return { status: 204, headers: { 'cache-control': 'no-store', ...preflightHeaders(origin) } };
    const write = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
    // Before the token and before any route runs, so a foreign page learns nothing, not even whether its token was right.
    // Reads need no such check with a token: without CORS headers a foreign page cannot see the answers.
    const crossSite = dev || write ? crossSiteRefusal(header, allowedOrigins, write) : undefined;
    if (crossSite) return fail(403, 'FORBIDDEN', crossSite);
    const rest = path.slice(basePath.length);
    let matched: { route: Route; params: Params } | undefined;
    for (const route of routes) {
      const m = route.pattern.exec(rest);
      if (!m) continue;
      let id: string | undefined;
      try {
        id = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
      } catch {
        return fail(400, 'INVALID_PATH', 'the path is not valid percent-encoding');
      }
      matched = { route, params: { id } };
      break;
    }
    if (!matched) return fail(404, 'NOT_FOUND', `no route ${request.method} ${path}`);
    const action = matched.route.methods[method];
    if (!action)
      return fail(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}`, {
        allow: Object.keys(matched.route.methods).join(', '),
      });
    // Checked before the route looks anything up, and answered the same for every path and id: a 401 says nothing about which runs exist.
    if (!matched.route.public && checkToken && !checkToken(header('authorization'))) {
      const inUrl = tokenParams.some((name) => url.searchParams.has(name));
      return fail(
        401,
        'UNAUTHORIZED',
        inUrl
          ? 'send Authorization: Bearer <token>; a token in the URL is never accepted (URLs are kept in logs, history and Referer headers)'
          : 'send Authorization: Bearer <token>',
        { 'www-authenticate': 'Bearer realm="eventide"' },
      );
    }
    try {
      return await action({ request, query: url.searchParams, params: matched.params, header });
    } catch (e) {
      if (e instanceof HttpError) return fail(e.status, e.code, e.message, e.headers, e.details);
      if (e instanceof EventValidationError) {
        return fail(
          400,
          e.code,
          e.message,
          {},
          {
            ...(e.eventName !== undefined ? { eventName: e.eventName } : {}),
            ...(e.issues.length
              ? { issues: e.issues.map((i) => ({ message: i.message, ...(i.path ? { path: i.path.map(String) } : {}) })) }
              : {}),
          },
        );
      }
      if (e instanceof ConfigError) return fail(400, 'INVALID_REQUEST', e.message);
      if (e instanceof RuntimeStoppedError) return fail(503, 'RUNTIME_STOPPED', e.message);
      logger.error('eventide HTTP handler failed', { method: request.method, path, error: coerceError(e).message });
      return fail(500, 'INTERNAL', 'internal error; see the server log');
    }
  }

  return {
    basePath,
    handle,
    close: () => stream.close(),
    get openStreams() {
      return stream.size;
    },
  };
}

/** A handler as is, or a new one for a runtime: what every adapter accepts. */
export function toHandler(target: HttpRuntime | HttpHandler, options?: HttpHandlerOptions): HttpHandler {
  return 'handle' in target && typeof target.handle === 'function' ? target : createHttpHandler(target as HttpRuntime, options);
}

/**
 * Search and time range are not indexed: pages of the index are read from the cursor and filtered until `want`
 * runs match, the index ends, or (newest first) the runs are older than the range.
 */
async function filteredRuns(
  runtime: HttpRuntime,
  base: Omit<ListRunsQuery, 'limit' | 'cursor'>,
  filter: RunFilter,
  want: number,
  cursor: string | undefined,
): Promise<RunRecord[]> {
  const chunk = 500;
  const found: RunRecord[] = [];
  for (;;) {
    const runs = await runtime.listRuns({ ...base, limit: chunk, cursor });
    for (const r of runs) if (matchesRun(r, filter)) found.push(r);
    const last = runs[runs.length - 1];
    if (found.length >= want || runs.length < chunk || (filter.from !== undefined && last.createdAt < filter.from)) return found;
    cursor = runCursor(last);
  }
}
