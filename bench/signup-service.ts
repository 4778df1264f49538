/**
 * The signup service of the benchmark: plain node:http, in its own process.
 *
 *   node dist/bench/signup-service.js '{"mode":"eventide","transport":"memory://","namespace":"bench_…","thirdParty":"http://127.0.0.1:4100",…}'
 *
 * POST /signup/baseline  create the user, answer 201: the critical path alone.
 * POST /signup/sync      create the user, then call start-trial, welcome-email
 *                        and newsletter one after another on the third-party
 *                        server, answer 201 (or 502 when a call failed).
 * POST /signup/async     create the user, send `user/created` (mode eventide)
 *                        or add three BullMQ jobs (mode bullmq), answer 202;
 *                        three background functions (workers) make the calls,
 *                        with retries.
 * GET  /stats?phase=P    accepted / rejected signups of phase P and the
 *                        in-handler cost of its critical path.
 * POST /loop/reset, GET /loop   event-loop delay (ms) since the reset: how
 *                        long a ready request waited for the thread.
 *
 * The request body is `{"email", "name", "phase"}`; user ids are
 * `<phase>.<n>`, so the third-party server can count per phase.
 * Prints `LISTENING <port>` once the runtime (or the BullMQ workers) run.
 */
import { createHash } from 'node:crypto';
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createRuntime, defineFunction, type Runtime } from '../index.js';
import { exitWithParent } from './lib/child.js';
import { benchLogger } from './lib/env.js';
import { kinds, thirdPartyTimeoutMs, type Kind, type PhaseStats, type ServiceConfig } from './lib/signup-model.js';
import { distribution } from './lib/stats.js';

exitWithParent();
const config = JSON.parse(process.argv[2] ?? '{}') as ServiceConfig;
const tp = new URL(config.thirdParty);
const agent = new Agent({ keepAlive: true, maxSockets: config.concurrency * 3 + 200, maxFreeSockets: config.concurrency * 3 + 200 });

/** One call to the third-party server; rejects on anything but 2xx. */
function callThirdParty(kind: Kind, userId: string): Promise<void> {
  const body = JSON.stringify({ userId });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: tp.hostname,
        port: tp.port,
        path: `/${kind}`,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`${kind} answered ${res.statusCode}`))));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(thirdPartyTimeoutMs, () => req.destroy(new Error(`${kind} did not answer within ${thirdPartyTimeoutMs} ms`)));
    req.end(body);
  });
}

// ── the critical path: create the user ─────────────────────────────────

interface User {
  id: string;
  email: string;
  name: string;
  emailHash: string;
  createdAt: number;
}
const users = new Map<string, User>();
let seq = 0;

/** A field of the request body as text; anything but a string counts as absent. */
const text = (value: unknown, fallback: string): string => (typeof value === 'string' ? value : fallback);

function createUser(input: { email?: unknown; name?: unknown; phase?: unknown }): User {
  const email = text(input.email, '').trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new Error('invalid email');
  const user: User = {
    id: `${text(input.phase, 'p')}.${++seq}`,
    email,
    name: text(input.name, ''),
    emailHash: createHash('sha256').update(email).digest('hex'),
    createdAt: Date.now(),
  };
  users.set(user.id, user);
  return user;
}

// ── background work: eventide functions or BullMQ workers ──────────────

let runtime: Runtime | undefined;
let sendSignup: ((userId: string) => Promise<unknown>) | undefined;
const closers: (() => Promise<unknown>)[] = [];

async function startBackground(): Promise<void> {
  if (config.mode === 'eventide') {
    const functions = kinds.map((kind) =>
      defineFunction(
        {
          id: `${kind}-call`,
          trigger: { event: 'user/created' },
          retries: config.retries,
          backoff: { type: 'exponential', delay: config.backoffMs },
        },
        async ({ event, step }) => {
          await step.run('call', () => callThirdParty(kind, (event.data as { userId: string }).userId));
        },
      ),
    );
    const rt = createRuntime({
      transport: config.transport,
      namespace: config.namespace,
      functions,
      concurrency: config.concurrency,
      logger: benchLogger,
    });
    await rt.start();
    runtime = rt;
    // The event id makes a retried request idempotent: the same user never starts the calls twice.
    sendSignup = (userId) => rt.send({ name: 'user/created', id: `user-created.${userId}`, data: { userId } });
    closers.push(() => rt.stop({ timeoutMs: 2_000 }));
  } else if (config.mode === 'bullmq') {
    const { Queue, Worker } = await import('bullmq');
    const u = new URL(config.redis ?? 'redis://127.0.0.1:6379');
    const connection = { host: u.hostname, port: Number(u.port || 6379), maxRetriesPerRequest: null };
    const queues = kinds.map((kind) => new Queue(`${config.namespace}_${kind}`, { connection }));
    const workers = kinds.map(
      (kind, i) =>
        new Worker(queues[i].name, async (job) => callThirdParty(kind, (job.data as { userId: string }).userId), {
          connection,
          concurrency: config.concurrency,
        }),
    );
    await Promise.all([...queues.map((q) => q.waitUntilReady()), ...workers.map((w) => w.waitUntilReady())]);
    const opts = (kind: Kind, userId: string) => ({
      jobId: `${kind}-${userId}`,
      attempts: config.retries + 1,
      backoff: { type: 'exponential', delay: config.backoffMs },
      removeOnComplete: true,
      removeOnFail: true,
    });
    sendSignup = (userId) => Promise.all(kinds.map((kind, i) => queues[i].add(kind, { userId }, opts(kind, userId))));
    closers.push(async () => {
      await Promise.all(workers.map((w) => w.close(true).catch(() => undefined)));
      for (const q of queues) {
        await q.obliterate({ force: true }).catch(() => undefined);
        await q.close().catch(() => undefined);
      }
    });
  }
}

// ── HTTP ───────────────────────────────────────────────────────────────

interface Phase {
  accepted: number;
  rejected: number;
  critical: number[];
}
const phases = new Map<string, Phase>();
const phaseOf = (name: string): Phase => {
  let p = phases.get(name);
  if (!p) phases.set(name, (p = { accepted: 0, rejected: 0, critical: [] }));
  return p;
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

async function signup(kind: 'baseline' | 'sync' | 'async', req: IncomingMessage, res: ServerResponse): Promise<void> {
  let input: { phase?: unknown };
  try {
    input = JSON.parse(await readBody(req)) as { phase?: unknown };
  } catch {
    json(res, 400, { error: 'body must be JSON' });
    return;
  }
  const phase = phaseOf(text(input.phase, 'p'));
  const t0 = performance.now();
  let user: User;
  try {
    user = createUser(input);
  } catch (e) {
    json(res, 400, { error: (e as Error).message });
    return;
  }
  try {
    if (kind === 'sync') {
      await callThirdParty('trial', user.id);
      await callThirdParty('email', user.id);
      await callThirdParty('newsletter', user.id);
    } else if (kind === 'async') {
      if (!sendSignup) throw new Error('this service runs no background work (mode none)');
      await sendSignup(user.id);
    }
    if (kind !== 'sync') phase.critical.push((performance.now() - t0) * 1000);
    phase.accepted++;
    json(res, kind === 'async' ? 202 : 201, { id: user.id });
  } catch (e) {
    phase.rejected++;
    json(res, kind === 'sync' ? 502 : 503, { id: user.id, error: (e as Error).message });
  }
}

const loopDelay = monitorEventLoopDelay({ resolution: 2 });
loopDelay.enable();

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (url === '/loop/reset' && req.method === 'POST') {
    loopDelay.reset();
    return json(res, 200, { ok: true });
  }
  if (url === '/loop' && req.method === 'GET') {
    const ms = (ns: number) => ns / 1e6;
    return json(res, 200, { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) });
  }
  if (req.method === 'POST' && url === '/signup/baseline') return void signup('baseline', req, res);
  if (req.method === 'POST' && url === '/signup/sync') return void signup('sync', req, res);
  if (req.method === 'POST' && url === '/signup/async') return void signup('async', req, res);
  if (req.method === 'GET' && url.startsWith('/stats')) {
    const name = new URL(url, 'http://x').searchParams.get('phase') ?? '';
    const p = phaseOf(name);
    const d = p.critical.length ? distribution(p.critical) : null;
    const stats: PhaseStats = {
      phase: name,
      accepted: p.accepted,
      rejected: p.rejected,
      critical: d && { n: d.n, p50: d.p50, p90: d.p90, p99: d.p99, max: d.max },
    };
    return json(res, 200, stats);
  }
  if (req.method === 'GET' && url === '/health')
    return json(res, 200, { ok: true, mode: config.mode, transport: runtime?.transportKind ?? null });
  json(res, 404, { error: 'not found' });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeAllConnections();
  for (const close of closers) await close().catch(() => undefined);
  agent.destroy();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());

startBackground().then(
  () =>
    server.listen(0, '127.0.0.1', () => {
      process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
    }),
  (e) => {
    process.stderr.write(`signup service could not start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
