/**
 * The dashboard in headless Chromium, against a real runtime behind the
 * node:http adapter: the page asks for the token, a failing run appears
 * live, its timeline and logs show, and "Replay failed" after a fix makes a
 * run that succeeds. Saves docs/dashboard.png (1280 px) and
 * docs/dashboard-mobile.png (390 px). Needs Chromium: it fails, never skips,
 * when Chromium is missing.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, defineFunction, NonRetriableError, RetryAfterError, silentLogger, type Runtime } from '../../index.js';
import { createHttpHandler, type HttpHandler } from '../../adapters/http/index.js';
import { eventideListener } from '../../adapters/node/index.js';
import { until } from '../conformance/transport.suite.js';

// Browser globals used in page.evaluate callbacks (the tsconfig has no DOM lib).
declare const sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
declare const window: { __xss?: number };
declare const document: { documentElement: { scrollWidth: number } };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'dashboard-test-token-0123456789';
// The README's screenshots are refreshed only on request (EVENTIDE_SCREENSHOTS=1), so a test run leaves the tree clean.
const docs =
  process.env.EVENTIDE_SCREENSHOTS === '1'
    ? fileURLToPath(new URL('../../docs/', import.meta.url))
    : `${mkdtempSync(join(tmpdir(), 'eventide-shots-'))}/`;
const fast = { type: 'fixed', delay: 150, jitter: false } as const;

let broken = true;
let releaseReport: () => void = () => {};
const reportGate = new Promise<void>((resolve) => (releaseReport = resolve));
const welcomeTries = new Map<string, number>();

const functions = [
  defineFunction(
    { id: 'send-welcome-email', trigger: { event: 'user/created' }, retries: 4, backoff: fast },
    async ({ event, step, logger }) => {
      const { email } = event.data as { email: string };
      const user = await step.run('load-user', async () => {
        await pause(40);
        return { email };
      });
      logger.info('rendering template', { template: 'welcome-v3' });
      await step.run('send', async () => {
        await pause(60);
        const n = (welcomeTries.get(email) ?? 0) + 1;
        welcomeTries.set(email, n);
        if (n === 1) throw new Error('mailer answered 503 Service Unavailable');
        return { messageId: `msg_${n}` };
      });
      logger.info('welcome email sent', { to: user.email });
      return { sent: true, to: user.email };
    },
  ),
  defineFunction({ id: 'start-trial', trigger: { event: 'user/created' } }, async ({ step }) => {
    return step.run('create-trial', async () => {
      await pause(25);
      return { plan: 'pro', days: 14 };
    });
  }),
  defineFunction({ id: 'sync-crm', trigger: { event: 'user/created' } }, async ({ step, logger }) => {
    await step.run('upsert-contact', () => pause(30));
    logger.info('waiting for the CRM batch window');
    await step.sleep('wait-for-batch', '1h');
  }),
  defineFunction({ id: 'charge-card', trigger: { event: 'order/placed' }, retries: 2, backoff: fast }, async ({ event, step, logger }) => {
    const { amount } = event.data as { amount: number };
    await step.run('validate-order', () => pause(20));
    logger.info('charging card', { amount, currency: 'EUR' });
    const receipt = await step.run('charge', async () => {
      await pause(35);
      if (broken) throw new NonRetriableError('card processor misconfigured: missing API key');
      return { receipt: 'rcpt_8812', amount };
    });
    logger.info('charged', receipt);
    return receipt;
  }),
  defineFunction({ id: 'generate-report', trigger: { event: 'report/requested' } }, async ({ step, logger }) => {
    await step.run('query-warehouse', () => pause(50));
    logger.info('rendering PDF, this takes a while');
    await step.run('render-pdf', () => reportGate);
  }),
  defineFunction({ id: 'nightly-digest', trigger: { cron: '0 3 * * *', tz: 'Europe/Paris' } }, async ({ step }) => {
    await step.run('collect', () => pause(10));
  }),
  defineFunction({ id: 'push-webhook', trigger: { event: 'order/placed' }, retries: 5 }, async ({ step }) => {
    await step.run('post', () => {
      throw new RetryAfterError('partner API rate limited (429)', '10m');
    });
  }),
];

function pause(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

describe('dashboard', () => {
  let runtime: Runtime;
  let handler: HttpHandler;
  let server: ReturnType<typeof createServer>;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) return; // each test then fails with the reason (never skips)
    runtime = createRuntime({
      logger: silentLogger,
      transport: 'memory://',
      namespace: `dash_${process.pid}_${Date.now().toString(36)}`,
      functions,
    });
    await runtime.start();
    handler = createHttpHandler(runtime, { token: TOKEN });
    server = createServer(eventideListener(handler));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/eventide/`;
    browser = await chromium.launch({
      // Within beforeAll's timeout: a launch that outlived the hook would leave a browser nobody closes.
      timeout: 20_000,
      executablePath: CHROMIUM,
      // Playwright gives the browser a fresh profile directory of its own (it refuses --user-data-dir here).
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    releaseReport();
    await browser?.close();
    handler?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    await runtime?.stop({ timeoutMs: 1_000 });
  });

  const problems: string[] = [];
  function needChromium(): void {
    if (!browser)
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: the dashboard test needs it (apt-get install -y chromium, or set CHROMIUM_PATH).`,
      );
  }
  async function openPage(width: number, height: number): Promise<Page> {
    needChromium();
    const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('401')) problems.push(`console: ${m.text()}`);
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(url.replace(/\/$/, ''))) problems.push(`request outside the API: ${r.url()}`);
    });
    return page;
  }

  it('shows a failing run live with its timeline and logs, and replays it after a fix', async () => {
    const page = await openPage(1280, 860);
    await page.goto(url);
    // No token yet: the page asks for one.
    await page.locator('#login[open]').waitFor();
    await page.fill('#token', TOKEN);
    await page.click('#login button[type=submit]');
    await page.locator('#functions [data-fn="charge-card"]').waitFor();
    expect(await page.locator('#functions .fn').count()).toBe(functions.length);
    await page.locator('#live.on').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('eventide.token'))).toBe(TOKEN);

    // Sent after the page loaded: it can only appear through /stream.
    const { ids } = await runtime.send({ name: 'order/placed', data: { orderId: 'ord_1042', amount: 4900 } });
    const [failedRun] = await waitForRuns(runtime, { functionId: 'charge-card', status: 'failed' }, 1);
    const row = page.locator(`#runs tr[data-run-id="${failedRun.id}"]`);
    await row.locator('.pill[data-status="failed"]').waitFor({ timeout: 10_000 });
    expect(failedRun.eventId).toBe(ids[0]);

    await row.click();
    await page.locator('#detail .d-id', { hasText: failedRun.id }).waitFor();
    const steps = page.locator('#run-steps .step');
    await expect.poll(() => steps.evaluateAll((els) => els.map((e) => e.getAttribute('data-step')))).toEqual(['validate-order', 'charge']);
    expect(await page.locator('#run-steps [data-step="charge"] .step-err').innerText()).toContain('card processor misconfigured');
    expect(await page.locator('#run-steps [data-step="charge"] .bar.failed').count()).toBe(1);
    expect(await page.locator('#run-logs').innerText()).toContain('charging card');
    expect(await page.locator('#run-error').innerText()).toContain('NonRetriableError: card processor misconfigured');

    // Fix the function, then "Replay failed" for it.
    broken = false;
    await page.click('#functions [data-replay="charge-card"]');
    const [replayed] = await waitForRuns(runtime, { functionId: 'charge-card', status: 'succeeded' }, 1);
    expect(replayed.replayOf).toBe(failedRun.id);
    expect(replayed.output).toEqual({ receipt: 'rcpt_8812', amount: 4900 });
    await page.locator(`#runs tr[data-run-id="${replayed.id}"] .pill[data-status="succeeded"]`).waitFor({ timeout: 10_000 });
    await page.locator(`#runs tr[data-run-id="${replayed.id}"]`).click();
    await page.locator('#run-output', { hasText: 'rcpt_8812' }).waitFor();
    expect(await page.locator('#detail .fact', { hasText: 'Replay of' }).innerText()).toContain(failedRun.id.slice(0, 12));
    // Replayed: counted apart, and no longer offered for a replay.
    const chargeCard = page.locator('#functions [data-fn="charge-card"]');
    await chargeCard.locator('.count', { hasText: '1 replayed' }).waitFor({ timeout: 10_000 });
    expect(await chargeCard.locator('[data-replay]').count()).toBe(0);
    expect((await runtime.getRun(failedRun.id))?.replayedBy).toBe(replayed.id);
    // A cron function shows its next tick.
    expect(await page.locator('#functions [data-fn="nightly-digest"]').innerText()).toMatch(
      /cron 0 3 \* \* \* \(Europe\/Paris\)[\s\S]*next tick in \d+/,
    );
    expect(problems).toEqual([]);
    await page.close();
  });

  it('cancels a run from its detail, and renders event data as text', async () => {
    const page = await openPage(1280, 860);
    await page.goto(url);
    await page.evaluate((t) => sessionStorage.setItem('eventide.token', t), TOKEN);
    await page.reload();
    await page.locator('#live.on').waitFor();
    await runtime.send({ name: 'user/created', data: { email: 'grace@example.com' } });
    const [sleeping] = await waitForRuns(runtime, { functionId: 'sync-crm', status: 'sleeping' }, 1);
    await page.locator(`#runs tr[data-run-id="${sleeping.id}"] .pill[data-status="sleeping"]`).waitFor({ timeout: 10_000 });
    await page.locator(`#runs tr[data-run-id="${sleeping.id}"]`).click();
    await page.click('#cancel-run');
    await page.click('#cancel-run'); // confirm
    await page.locator(`#runs tr[data-run-id="${sleeping.id}"] .pill[data-status="cancelled"]`).waitFor({ timeout: 10_000 });
    expect((await runtime.getRun(sleeping.id))?.status).toBe('cancelled');
    // Its sleep is closed: no striped bar left open.
    await page.locator('#run-steps [data-step="wait-for-batch"] .bar.cancelled').waitFor({ timeout: 10_000 });
    expect(await page.locator('#run-steps .bar.sleeping').count()).toBe(0);

    const hostile = '<img src=x onerror="window.__xss=1">';
    await runtime.send({ name: `evil/${hostile}`, data: { html: '<script>window.__xss=2</script>', [hostile]: hostile } });
    await page.locator('#events .ev-name', { hasText: hostile }).waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
    expect(await page.locator('#events img').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('saves screenshots of a realistic state (1280 px and 390 px)', async () => {
    needChromium();
    await runtime.send([
      { name: 'user/created', data: { email: 'ada@example.com', plan: 'pro' } },
      { name: 'user/created', data: { email: 'linus@example.com', plan: 'free' } },
    ]);
    await runtime.send({ name: 'report/requested', data: { report: 'q3-revenue', format: 'pdf' } });
    broken = true;
    await runtime.send({ name: 'order/placed', data: { orderId: 'ord_1043', amount: 12900 } });
    await waitForRuns(runtime, { functionId: 'send-welcome-email', status: 'succeeded' }, 3);
    await waitForRuns(runtime, { functionId: 'charge-card', status: 'failed' }, 2);
    await waitForRuns(runtime, { functionId: 'generate-report', status: 'running' }, 1);
    await waitForRuns(runtime, { functionId: 'push-webhook', status: 'retrying' }, 2);
    const statuses = new Set((await runtime.listRuns({ limit: 500 })).map((r) => r.status));
    for (const s of ['succeeded', 'failed', 'running', 'retrying', 'sleeping', 'cancelled']) expect(statuses).toContain(s);

    mkdirSync(docs, { recursive: true });
    const page = await openPage(1280, 860);
    await page.goto(url);
    await page.evaluate((t) => sessionStorage.setItem('eventide.token', t), TOKEN);
    await page.reload();
    await page.locator('#live.on').waitFor();
    const [failed] = await runtime.listRuns({ functionId: 'charge-card', status: 'failed', limit: 1 });
    await page.locator(`#runs tr[data-run-id="${failed.id}"]`).click();
    await page.locator('#run-steps [data-step="charge"]').waitFor();
    await page.waitForTimeout(1100);
    await page.screenshot({ path: `${docs}dashboard.png` });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('#detail button[aria-label="Close"]');
    await page.waitForTimeout(200);
    await page.screenshot({ path: `${docs}dashboard-mobile.png` });
    const [welcomeRun] = await runtime.listRuns({ functionId: 'send-welcome-email', status: 'succeeded', limit: 1 });
    await page.locator(`#runs tr[data-run-id="${welcomeRun.id}"]`).click();
    await page.locator('#run-steps [data-step="send"]').waitFor();
    await page.screenshot({ path: `${docs}dashboard-mobile-detail.png` });
    // Nothing wider than the phone's viewport.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(problems).toEqual([]);
    await page.close();
  });
});

async function waitForRuns(
  runtime: Runtime,
  query: { functionId: string; status: 'failed' | 'succeeded' | 'running' | 'retrying' | 'sleeping' },
  count: number,
) {
  await until(
    async () => (await runtime.listRuns(query)).length >= count,
    15_000,
    `${count} ${query.status} run(s) of ${query.functionId}`,
  );
  return runtime.listRuns(query);
}
