/**
 * The demo: a small signup service whose endpoint does only its critical
 * path and sends `user/created`; three functions do the rest in the
 * background. It signs up a few users over HTTP and prints the timeline of
 * every run-state change, then exits.
 *
 * The same server serves the dashboard (dev mode: loopback only, no token).
 *
 *   npm run demo                       # in-memory transport (the default)
 *   npm run demo -- --stay             # keep serving so you can open the dashboard
 *   EVENTIDE_TRANSPORT=redis://127.0.0.1:6379 npm run demo
 *   EVENTIDE_TRANSPORT=sqlite://./demo.db npm run demo    # twice: the second run's dashboard shows the first's runs too
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { withEventide } from '../adapters/node/index.js';
import { createHttpHandler } from '../adapters/http/index.js';
import { createRuntime, defineFunction, type RunStateChange } from '../index.js';

const users = new Map<string, { id: string; email: string }>();
let mailerCalls = 0;

const startTrial = defineFunction({ id: 'start-trial', trigger: { event: 'user/created' } }, async ({ event, step }) => {
  const { userId } = event.data as { userId: string };
  return step.run('create-trial', () => ({ userId, trialEnds: Date.now() + 14 * 86_400_000 }));
});

const sendWelcomeEmail = defineFunction(
  { id: 'send-welcome-email', trigger: { event: 'user/created' }, retries: 5, backoff: { type: 'exponential', delay: 200 } },
  async ({ event, step, logger }) => {
    const { userId } = event.data as { userId: string };
    const user = await step.run('load-user', () => users.get(userId));
    await step.run('send', () => {
      // The first call to the mailer fails, as real SaaS APIs sometimes do; the retry sends it.
      if (++mailerCalls === 1) throw new Error('mailer answered 503');
      return { to: user?.email };
    });
    logger.info('welcome email sent', { userId });
    return { sent: true };
  },
);

const addToNewsletter = defineFunction({ id: 'add-to-newsletter', trigger: { event: 'user/created' } }, async ({ event, step }) => {
  await step.run('subscribe', () => ({ list: 'product-updates', userId: (event.data as { userId: string }).userId }));
});

// One namespace for every run of the demo, so on a durable transport a second run finds the first's runs.
const runtime = createRuntime({
  namespace: process.env.EVENTIDE_NAMESPACE ?? 'demo',
  functions: [startTrial, sendWelcomeEmail, addToNewsletter],
});

const t0 = Date.now();
const colour: Record<string, string> = {
  running: '36',
  retrying: '33',
  sleeping: '35',
  succeeded: '32',
  failed: '31',
  cancelled: '90',
  pending: '90',
};
const paint = (s: string) => (process.stdout.isTTY ? `\x1b[${colour[s] ?? '0'}m${s}\x1b[0m` : s);
const userOf = new Map<string, string>();
const line = (c: RunStateChange) => {
  const ms = String(c.at - t0).padStart(5);
  const why = c.error ? `  (${c.error.message})` : '';
  console.log(
    `${ms} ms  ${(userOf.get(c.eventId) ?? '').padEnd(6)} ${c.functionId.padEnd(19)} ${c.from.padEnd(9)} → ${paint(c.to)}  attempt ${c.attempt}${why}`,
  );
};
runtime.on('run', line);

const stay = process.argv.includes('--stay');
const dashboard = createHttpHandler(runtime, { dev: true });
const server = createServer(
  withEventide(dashboard, undefined, (req, res) => {
    if (req.method !== 'POST' || req.url !== '/signup') {
      res.writeHead(404).end();
      return;
    }
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    const signup = async () => {
      const { email } = JSON.parse(body) as { email: string };
      const user = { id: `u${users.size + 1}`, email };
      users.set(user.id, user); // the critical path
      const { ids } = await runtime.send({ name: 'user/created', data: { userId: user.id } });
      userOf.set(ids[0], user.id);
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(user));
    };
    req.on('end', () => {
      signup().catch((e: unknown) => res.writeHead(400, { 'content-type': 'text/plain' }).end(String(e)));
    });
  }),
);

async function main(): Promise<void> {
  await runtime.start();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  console.log(`signup service on http://127.0.0.1:${port} — transport: ${runtime.transportKind}`);
  console.log(`dashboard:         http://127.0.0.1:${port}${dashboard.basePath}/${stay ? '' : '  (run with --stay to keep it up)'}\n`);
  for (const email of ['ada@example.com', 'grace@example.com', 'linus@example.com']) {
    const started = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/signup`, { method: 'POST', body: JSON.stringify({ email }) });
    const user = (await res.json()) as { id: string };
    console.log(
      `POST /signup ${email} → ${res.status} ${user.id} in ${(performance.now() - started).toFixed(1)} ms (the rest runs in the background)`,
    );
  }
  console.log('');
  const deadline = Date.now() + 10_000;
  const ours = async () => (await runtime.listRuns({ limit: 1_000 })).filter((r) => userOf.has(r.eventId));
  for (;;) {
    const runs = await ours();
    if (runs.length === 9 && runs.every((r) => r.status === 'succeeded' || r.status === 'failed')) break;
    if (Date.now() > deadline) throw new Error('the background runs did not finish within 10 s');
    await new Promise((r) => setTimeout(r, 25));
  }
  const runs = await ours();
  const earlier = (await runtime.listRuns({ limit: 1_000 })).length - runs.length;
  const emailRun = runs.find((r) => r.functionId === 'send-welcome-email' && r.attempt > 1);
  console.log(`\n${runs.filter((r) => r.status === 'succeeded').length}/9 runs succeeded.`);
  if (earlier > 0) console.log(`${earlier} runs of earlier demo runs are still here (the dashboard lists them too).`);
  if (emailRun)
    console.log(
      `The email that failed once: run ${emailRun.id}, ${emailRun.attempt} attempts, steps ${Object.keys(emailRun.steps).join(', ')}; logs: ${emailRun.logs.map((l) => l.message).join('; ')}`,
    );
  if (stay) {
    console.log('\nserving until Ctrl-C');
    await new Promise((resolve) => process.once('SIGINT', resolve));
  }
  dashboard.close();
  server.closeAllConnections();
  server.close();
  await runtime.stop();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
