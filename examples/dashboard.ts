/**
 * The dashboard, live: a runtime with a few demo functions (one fails until
 * "fixed", one retries, one sleeps), some events, and the HTTP API and page
 * served with the node:http adapter on 127.0.0.1. Prints the URL.
 *
 *   npm run build && node dist/examples/dashboard.js           # exits after a few seconds
 *   npm run build && node dist/examples/dashboard.js --stay    # keeps serving; sends an event every few seconds
 *
 * Without EVENTIDE_TOKEN it runs in dev mode (no token; loopback clients
 * only). With EVENTIDE_TOKEN=<16+ chars> the page asks for that token.
 * PORT picks the port (default: any free one).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRuntime, defineFunction, NonRetriableError } from '../index.js';
import { createHttpHandler } from '../adapters/http/index.js';
import { eventideListener } from '../adapters/node/index.js';

const stay = process.argv.includes('--stay');
const token = process.env.EVENTIDE_TOKEN;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const flakyMailer = new Map<string, number>();
// The card processor is "broken" for the first 20 s: click "Replay failed" after that and the replays succeed.
const fixedAt = Date.now() + 20_000;

const functions = [
  defineFunction(
    { id: 'send-welcome-email', trigger: { event: 'user/created' }, retries: 4, backoff: { type: 'fixed', delay: 400 } },
    async ({ event, step, logger }) => {
      const { email } = event.data as { email: string };
      await step.run('load-user', () => pause(40));
      await step.run('send', async () => {
        await pause(80);
        const n = (flakyMailer.get(email) ?? 0) + 1;
        flakyMailer.set(email, n);
        if (n === 1) throw new Error('mailer answered 503');
      });
      logger.info('welcome email sent', { to: email });
      return { sent: true };
    },
  ),
  defineFunction({ id: 'start-trial', trigger: { event: 'user/created' } }, async ({ step }) =>
    step.run('create-trial', () => ({ plan: 'pro', days: 14 })),
  ),
  defineFunction({ id: 'sync-crm', trigger: { event: 'user/created' } }, async ({ step }) => {
    await step.run('upsert-contact', () => pause(30));
    await step.sleep('wait-for-batch', '1h');
  }),
  defineFunction({ id: 'charge-card', trigger: { event: 'order/placed' } }, async ({ event, step, logger }) => {
    const { amount } = event.data as { amount: number };
    logger.info('charging card', { amount });
    return step.run('charge', async () => {
      await pause(60);
      if (Date.now() < fixedAt) throw new NonRetriableError('card processor misconfigured: missing API key');
      return { receipt: `rcpt_${amount}` };
    });
  }),
];

const runtime = createRuntime({ namespace: `dashboard_demo_${process.pid}`, functions });
await runtime.start();
const handler = createHttpHandler(runtime, token ? { token } : { dev: true });
const server = createServer(eventideListener(handler));
await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${handler.basePath}/`;
console.log(`eventide dashboard: ${url}${token ? '  (token: $EVENTIDE_TOKEN)' : '  (dev mode: no token, loopback only)'}`);

let n = 0;
let sent = 0;
const names = ['ada', 'grace', 'linus', 'margaret', 'ken', 'barbara', 'dennis', 'frances'];
const sendSome = async () => {
  const who = names[n++ % names.length];
  await runtime.send({ name: 'user/created', data: { email: `${who}${n}@example.com` } });
  sent++;
  if (n % 3 === 1) {
    await runtime.send({ name: 'order/placed', data: { orderId: `ord_${1000 + n}`, amount: 1900 + n * 100 } });
    sent++;
  }
};
for (let i = 0; i < 3; i++) await sendSome();

const shutdown = async () => {
  clearInterval(timer);
  handler.close();
  server.closeAllConnections();
  server.close();
  await runtime.stop({ timeoutMs: 2_000 });
  console.log(`stopped after sending ${sent} events`);
};
const timer = setInterval(() => void sendSome(), 4_000);
if (stay) {
  console.log('serving until Ctrl-C; charge-card fails for the first 20 s, then "Replay failed" fixes its runs');
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
} else {
  await pause(3_000);
  const runs = await runtime.listRuns();
  const by = runs.reduce<Record<string, number>>((acc, r) => ((acc[r.status] = (acc[r.status] ?? 0) + 1), acc), {});
  console.log(`runs by status: ${JSON.stringify(by)}  (pass --stay to keep the dashboard up)`);
  await shutdown();
}
