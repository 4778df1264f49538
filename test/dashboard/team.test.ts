/**
 * The dashboard a team lives in, in headless Chromium against a real
 * runtime: deep links with back/forward, every failed attempt's error,
 * waiting/delayed counts and sparklines per function, the send-event form
 * with a schema's error inline, search by run id, event id and event data, a
 * time range, a clear message on a wrong token, and "Load more" only when
 * there is more. Runs are dated in the past with a clock that lags the real
 * one, so ranges and sparklines have something to show. Screenshots go to
 * docs/dashboard-*.png with EVENTIDE_SCREENSHOTS=1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { defineFunction, NonRetriableError, type Clock, type Runtime, type StandardSchemaV1 } from '../../index.js';
import { until } from '../conformance/transport.suite.js';
import { BROWSER_TEST_MS } from './browser.js';
import { launch, openPage, screenshotDir, serve, signedIn, TOKEN, type Served } from './serve.js';

const fast = { type: 'fixed', delay: 40, jitter: false } as const;
const minute = 60_000;

// Runs created while `lag` is set are dated that far in the past.
let lag = 0;
const laggingClock: Clock = {
  now: () => Date.now() - lag,
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
};

/** A minimal Standard Schema v1 object, as zod 4, valibot and arktype produce. */
const orderSchema: StandardSchemaV1<unknown, { orderId: string; amount: number }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) => {
      const v = (value ?? {}) as Record<string, unknown>;
      const issues = [
        ...(typeof v.orderId === 'string' ? [] : [{ message: 'expected a string', path: ['orderId'] }]),
        ...(typeof v.amount === 'number' && v.amount > 0 ? [] : [{ message: 'expected a positive number', path: ['amount'] }]),
      ];
      return issues.length ? { issues } : { value: v as { orderId: string; amount: number } };
    },
  },
};

const attemptMessages = [
  'upstream timed out after 5000 ms',
  'connection reset by peer',
  'HTTP 502 Bad Gateway',
  'HTTP 503 Service Unavailable',
];
let releaseLimited: () => void = () => {};
const limitedGate = new Promise<void>((r) => (releaseLimited = r));

const functions = [
  defineFunction(
    { id: 'sync-inventory', trigger: { event: 'inventory/changed' }, retries: 3, backoff: fast },
    async ({ attempt, step }) => {
      await step.run('fetch-stock', () => ({ sku: 'sku_1' }));
      throw new Error(attemptMessages[attempt - 1] ?? 'unknown');
    },
  ),
  defineFunction({ id: 'resize-image', trigger: { event: 'image/uploaded' }, retries: 0 }, async ({ event, step }) => {
    const { corrupt } = event.data as { corrupt?: boolean };
    return step.run('resize', () => {
      if (corrupt) throw new NonRetriableError('unsupported image format');
      return { width: 640 };
    });
  }),
  defineFunction({ id: 'charge-card', trigger: { event: 'order/placed', schema: orderSchema } }, async ({ event }) => ({
    charged: event.data.amount,
  })),
  defineFunction({ id: 'export-report', trigger: { event: 'report/requested' }, concurrency: 1 }, async ({ step }) => {
    await step.run('export', () => limitedGate);
  }),
  defineFunction({ id: 'send-digest', trigger: { event: 'digest/due' } }, async () => ({ sent: true })),
];

describe('the dashboard a team lives in', () => {
  let browser: Browser;
  let served: Served;
  let runtime: Runtime;
  let url: string;
  const problems: string[] = [];
  const docs = screenshotDir();

  beforeAll(async () => {
    served = await serve({ functions, clock: laggingClock });
    ({ runtime, url } = served);
    browser = await launch();
    // Runs across the last hour (for the sparklines), and one three hours ago (outside "last hour").
    for (const ago of [180, 55, 45, 35, 25, 17, 8, 3]) {
      lag = ago * minute;
      const n = sentAt(ago);
      await runtime.send(
        Array.from({ length: n }, (_, i) => ({
          name: 'image/uploaded',
          data: { file: `img_${ago}_${i}.png`, corrupt: i === 0 && ago % 10 === 5 },
        })),
      );
      await until(
        async () => (await runtime.listRuns({ functionId: 'resize-image', limit: 1000 })).filter((r) => r.endedAt).length >= count(ago),
        10_000,
        'resized',
      );
    }
    lag = 0;
  }, 60_000);

  // Runs of resize-image sent in the batch `ago` minutes ago; and in that batch and every older one.
  const sentAt = (ago: number): number => (ago === 180 ? 1 : 2 + (ago % 4));
  const count = (ago: number): number => [180, 55, 45, 35, 25, 17, 8, 3].filter((a) => a >= ago).reduce((s, a) => s + sentAt(a), 0);

  afterAll(async () => {
    releaseLimited();
    await browser?.close();
    await served?.close();
  });

  async function page(path = ''): Promise<Page> {
    const p = await openPage(browser, url, problems);
    await signedIn(p, url, path);
    return p;
  }
  const rowIds = (p: Page) => p.locator('#runs tr').evaluateAll((els) => els.map((e) => e.getAttribute('data-run-id')));

  it(
    'lists every failed attempt of a run with its own error, not only the last',
    async () => {
      await runtime.send({ name: 'inventory/changed', data: { sku: 'sku_1' } });
      await until(async () => (await runtime.listRuns({ functionId: 'sync-inventory', status: 'failed' })).length === 1, 10_000, 'failed');
      const [run] = await runtime.listRuns({ functionId: 'sync-inventory', status: 'failed' });
      expect(run.attemptErrors?.map((a) => a.message)).toEqual(attemptMessages);
      const p = await page(`?run=${encodeURIComponent(run.id)}`);
      const items = p.locator('#run-attempts .attempt');
      await items.first().waitFor();
      expect(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-attempt')))).toEqual(['1', '2', '3', '4']);
      const texts = await items.allInnerTexts();
      attemptMessages.forEach((m, i) => expect(texts[i]).toContain(m));
      expect(await p.locator('#detail h2', { hasText: 'failed attempts' }).innerText()).toMatch(/4 failed attempts/i);
      await p.screenshot({ path: `${docs}dashboard-attempts.png` });
      expect(problems).toEqual([]);
      await p.close();
    },
    BROWSER_TEST_MS,
  );

  it(
    'names the filters and the selected run in the URL; a link opens that view and back/forward move between views',
    async () => {
      const [failed] = await runtime.listRuns({ functionId: 'resize-image', status: 'failed', limit: 1 });
      const p = await page(`?function=resize-image&status=failed&run=${encodeURIComponent(failed.id)}`);
      await p.locator('#detail .d-id', { hasText: failed.id }).waitFor();
      expect(await p.locator('#f-function').inputValue()).toBe('resize-image');
      expect(await p.locator('#f-status').inputValue()).toBe('failed');
      await expect.poll(() => p.locator('#runs .pill').allInnerTexts()).not.toHaveLength(0);
      expect(new Set(await p.locator('#runs .pill').allInnerTexts())).toEqual(new Set(['failed']));

      // A new view: another status, the detail closed.
      await p.selectOption('#f-status', 'succeeded');
      await p.click('#detail button[aria-label="Close"]');
      await expect.poll(() => new URL(p.url()).search).toBe('?function=resize-image&status=succeeded');
      await expect.poll(async () => new Set(await p.locator('#runs .pill').allInnerTexts())).toEqual(new Set(['succeeded']));

      await p.goBack(); // the detail again
      await p.locator('#detail .d-id', { hasText: failed.id }).waitFor();
      expect(await p.locator('#f-status').inputValue()).toBe('succeeded');
      await p.goBack(); // status failed
      await expect.poll(() => p.locator('#f-status').inputValue()).toBe('failed');
      await expect.poll(async () => new Set(await p.locator('#runs .pill').allInnerTexts())).toEqual(new Set(['failed']));
      await p.goForward();
      await p.goForward();
      await expect.poll(() => p.locator('#detail').isHidden()).toBe(true);
      expect(await p.locator('#f-status').inputValue()).toBe('succeeded');

      // The same link in a fresh tab opens the same view.
      const again = await page(`?function=resize-image&status=failed&run=${encodeURIComponent(failed.id)}`);
      await again.locator('#detail .d-id', { hasText: failed.id }).waitFor();
      expect(await again.locator('#functions .fn.active').getAttribute('data-fn')).toBe('resize-image');
      await p.close();
      await again.close();
      expect(problems).toEqual([]);
    },
    BROWSER_TEST_MS,
  );

  it(
    'shows per function what waits (a limit, delayed sends) and sparklines of runs that succeeded and failed',
    async () => {
      await runtime.send([1, 2, 3].map((n) => ({ name: 'report/requested', data: { report: `q${n}` } })));
      await runtime.send(
        [
          { name: 'digest/due', data: { user: 'ada' } },
          { name: 'digest/due', data: { user: 'linus' } },
        ],
        { delay: '1h' },
      );
      await until(async () => (await runtime.listRuns({ functionId: 'export-report', status: 'waiting' })).length === 2, 10_000, 'waiting');
      const p = await page();
      const card = (id: string) => p.locator(`#functions [data-fn="${id}"]`);
      await card('export-report').locator('[data-waiting="2"]').waitFor();
      expect(await card('export-report').innerText()).toContain('2 waiting');
      await card('send-digest').locator('[data-delayed="2"]').waitFor();
      expect(await card('send-digest').innerText()).toContain('2 delayed');
      // The transport tells each function's backlog: the two delayed sends wait in send-digest's.
      await card('send-digest').locator('[data-backlog="2"]').waitFor({ timeout: 5_000 });
      expect(await card('send-digest').innerText()).toContain('2 in backlog');

      const runs = await runtime.listRuns({ functionId: 'resize-image', limit: 1000 });
      const hourAgo = Date.now() - 60 * minute;
      const ok = runs.filter((r) => r.status === 'succeeded' && (r.endedAt ?? 0) >= hourAgo).length;
      const ko = runs.filter((r) => r.status === 'failed' && (r.endedAt ?? 0) >= hourAgo).length;
      expect(await card('resize-image').locator('[data-spark-total]').innerText()).toBe(`${ok} ok · ${ko} failed`);
      // A bar per bucket that had runs, in more than one place across the hour.
      const bars = await card('resize-image').locator('svg[data-spark] rect.ok').count();
      expect(bars).toBeGreaterThanOrEqual(5);
      expect(await card('resize-image').locator('svg[data-spark] rect.ko').count()).toBeGreaterThanOrEqual(2);
      await p.screenshot({ path: `${docs}dashboard-functions.png` });
      expect(problems).toEqual([]);
      await p.close();
    },
    BROWSER_TEST_MS,
  );

  it(
    'sends an event from a form, with bad JSON and the schema’s error shown inline',
    async () => {
      const p = await page();
      await p.click('#send-open');
      await p.fill('#send-name', 'order/placed');
      await p.fill('#send-data', '{ "orderId": "ord_1", amount: 12 }');
      await p.click('#send-submit');
      await p.locator('#send-error', { hasText: 'Data is not valid JSON' }).waitFor();

      await p.fill('#send-data', '{ "orderId": 42, "amount": -5 }');
      await p.click('#send-submit');
      await p.locator('#send-error [data-issue]').first().waitFor();
      expect(await p.locator('#send-error [data-issue]').allInnerTexts()).toEqual([
        'orderId: expected a string',
        'amount: expected a positive number',
      ]);
      expect(await p.locator('#send').getAttribute('open')).not.toBeNull();
      await p.screenshot({ path: `${docs}dashboard-send-event.png` });
      expect((await runtime.listRuns({ functionId: 'charge-card' })).length).toBe(0);

      await p.fill('#send-data', '{ "orderId": "ord_7", "amount": 4900 }');
      await p.click('#send-submit');
      await expect.poll(() => p.locator('#send').getAttribute('open')).toBeNull();
      await until(async () => (await runtime.listRuns({ functionId: 'charge-card', status: 'succeeded' })).length === 1, 10_000, 'charged');
      const [run] = await runtime.listRuns({ functionId: 'charge-card' });
      expect(run.event.data).toEqual({ orderId: 'ord_7', amount: 4900 });
      // The list now shows what the event started.
      await p.locator(`#runs tr[data-run-id="${run.id}"]`).waitFor();
      expect(new URL(p.url()).searchParams.get('event')).toBe(run.eventId);
      expect(problems).toEqual([]);
      await p.close();
    },
    BROWSER_TEST_MS,
  );

  it(
    'finds runs by run id, event id or event data, within a time range',
    async () => {
      const all = await runtime.listRuns({ functionId: 'resize-image', limit: 1000 });
      const target = all.find((r) => (r.event.data as { file: string }).file === 'img_25_1.png');
      if (!target) throw new Error('no run of img_25_1.png');
      const p = await page();
      const searchFor = async (q: string) => {
        await p.fill('#f-q', q);
        await p.press('#f-q', 'Enter');
        await expect.poll(() => new URL(p.url()).searchParams.get('q')).toBe(q);
      };
      await searchFor(target.id);
      await expect.poll(() => rowIds(p)).toEqual([target.id]);
      await searchFor(target.eventId);
      await expect.poll(() => rowIds(p)).toEqual([target.id]);
      await searchFor('IMG_25_1'); // in the event's data, whatever the case
      await expect.poll(() => rowIds(p)).toEqual([target.id]);
      await searchFor('no-such-thing-anywhere');
      await p.locator('#runs-none').waitFor();
      expect(await p.locator('#runs-empty').isHidden()).toBe(true);

      // Time range: the run from three hours ago is in the last 24 hours, not in the last hour.
      await searchFor('img_180_0');
      const [old] = all.filter((r) => (r.event.data as { file: string }).file === 'img_180_0.png');
      await expect.poll(() => rowIds(p)).toEqual([old.id]);
      await p.selectOption('#f-range', '1h');
      await p.locator('#runs-none').waitFor();
      await p.selectOption('#f-range', '24h');
      await expect.poll(() => rowIds(p)).toEqual([old.id]);
      // The last 15 minutes hold the runs sent 8 and 3 minutes ago, and none older.
      await p.fill('#f-q', '');
      await p.press('#f-q', 'Enter');
      await p.selectOption('#f-function', 'resize-image');
      await p.selectOption('#f-range', '15m');
      const recent = all.filter((r) => r.createdAt >= Date.now() - 15 * minute).map((r) => r.id);
      expect(recent.length).toBe(sentAt(8) + sentAt(3));
      await expect.poll(async () => new Set(await rowIds(p))).toEqual(new Set(recent));
      expect(await p.locator('#functions [data-fn="resize-image"] .spark-cap').first().innerText()).toContain('last 15 min');
      // Counts follow the range; a replay acts on every failed run of the function, and its button says how many.
      expect(await p.locator('#functions [data-fn="resize-image"] [data-count="failed"]').count()).toBe(0);
      const failedAllTime = all.filter((r) => r.status === 'failed').length;
      expect(failedAllTime).toBeGreaterThan(0);
      expect(await p.locator('#functions [data-replay="resize-image"]').innerText()).toBe(`Replay ${failedAllTime} failed`);
      expect(await p.locator('#replay-failed').innerText()).toBe(`Replay ${failedAllTime} failed runs`);
      await searchFor('img_8');
      await expect.poll(async () => (await rowIds(p)).length).toBe(sentAt(8));
      await p.screenshot({ path: `${docs}dashboard-search.png` });
      expect(new URL(p.url()).search).toBe('?function=resize-image&q=img_8&range=15m');
      expect(problems).toEqual([]);
      await p.close();
    },
    BROWSER_TEST_MS,
  );

  it(
    'says so when the token is wrong, and opens with the right one',
    async () => {
      const p = await openPage(browser, url, problems);
      await p.goto(url);
      await p.locator('#login[open]').waitFor();
      expect(await p.locator('#login-error').isHidden()).toBe(true);
      await p.fill('#token', 'not-the-token-at-all-0000');
      await p.click('#login button[type=submit]');
      await p.locator('#login-error').waitFor();
      expect(await p.locator('#login-error').innerText()).toContain('did not accept that token');
      expect(await p.locator('#login').getAttribute('open')).not.toBeNull();
      await p.screenshot({ path: `${docs}dashboard-wrong-token.png` });
      await p.fill('#token', TOKEN);
      await p.click('#login button[type=submit]');
      await p.locator('#live.on').waitFor();
      await p.locator('#functions [data-fn="resize-image"]').waitFor();
      expect(await p.locator('#login').getAttribute('open')).toBeNull();
      expect(problems).toEqual([]);
      await p.close();
    },
    BROWSER_TEST_MS,
  );
});

describe('the run list pages', () => {
  let browser: Browser;
  let served: Served;
  const problems: string[] = [];
  beforeAll(async () => {
    served = await serve({ functions: [defineFunction({ id: 'noop', trigger: { event: 'tick' } }, async () => 1)] });
    browser = await launch();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it(
    'offers "Load more" only when there is more: none at 50 runs, one at 51 that goes once the last page is in',
    async () => {
      const { runtime, url } = served;
      await runtime.send(Array.from({ length: 50 }, (_, i) => ({ name: 'tick', data: { i } })));
      await until(async () => (await runtime.listRuns({ status: 'succeeded', limit: 100 })).length === 50, 10_000, '50 runs');
      const p = await openPage(browser, url, problems);
      await signedIn(p, url);
      await expect.poll(() => p.locator('#runs tr').count()).toBe(50);
      expect(await p.locator('#more-wrap').isHidden()).toBe(true);

      await runtime.send({ name: 'tick', data: { i: 50 } });
      await until(async () => (await runtime.listRuns({ status: 'succeeded', limit: 100 })).length === 51, 10_000, '51 runs');
      await p.reload();
      await expect.poll(() => p.locator('#runs tr').count()).toBe(50);
      await p.locator('#more-wrap').waitFor();
      await p.click('#more');
      await expect.poll(() => p.locator('#runs tr').count()).toBe(51);
      expect(await p.locator('#more-wrap').isHidden()).toBe(true);
      // A live refresh keeps the rows "Load more" brought in.
      await runtime.send({ name: 'tick', data: { i: 51 } });
      await expect.poll(() => p.locator('#runs tr').count(), { timeout: 5_000 }).toBe(52);
      expect(await p.locator('#more-wrap').isHidden()).toBe(true);
      expect(problems).toEqual([]);
      await p.close();
    },
    BROWSER_TEST_MS,
  );
});

// Records as the workflow steps (waitForEvent, invoke, onFailure) write them; those fields are being added now,
// so here a real runtime's records are given them on the way to the handler, to show the page renders them.
describe('runs that wait for something other than a limit, and runs that name other runs', () => {
  let browser: Browser;
  let served: Served;
  const problems: string[] = [];
  const links = new Map<string, Record<string, unknown>>();
  const waitsUntil = Date.now() + 3 * 86_400_000;
  beforeAll(async () => {
    served = await serve(
      {
        functions: [
          defineFunction({ id: 'checkout', trigger: { event: 'cart/checked-out' } }, async ({ step }) => {
            await step.run('invoke-score', () => 'scored');
          }),
          defineFunction({ id: 'score-lead', trigger: { event: 'lead/score' } }, async () => 7),
        ],
      },
      {},
      (rt) => ({
        send: (e) => rt.send(e),
        on: (e, l) => rt.on(e, l),
        getRun: async (id) => {
          const r = await rt.getRun(id);
          return r && { ...r, ...links.get(id) };
        },
        listRuns: async (q) => (await rt.listRuns(q)).map((r) => ({ ...r, ...links.get(r.id) })),
        listEvents: (q) => rt.listEvents(q),
        deadLetters: (q) => rt.deadLetters(q),
        replay: (q) => rt.replay(q),
        cancel: (id) => rt.cancel(id),
        watch: rt.watch.bind(rt),
        listFunctions: () => rt.listFunctions(),
      }),
    );
    browser = await launch();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await served?.close();
  });

  it(
    'shows what a run waits for and until when, and links a parent, its invoked child and a failure handler',
    async () => {
      const { runtime, url } = served;
      await runtime.send({ name: 'cart/checked-out', data: { cart: 'c_1' } });
      await runtime.send({ name: 'lead/score', data: { id: 'u_1' } });
      await until(async () => (await runtime.listRuns({ status: 'succeeded' })).length === 2, 10_000, 'two runs');
      const [parent] = await runtime.listRuns({ functionId: 'checkout' });
      const [child] = await runtime.listRuns({ functionId: 'score-lead' });
      links.set(parent.id, {
        status: 'waiting',
        waitingFor: {
          kind: 'event',
          event: 'invoice/paid',
          match: 'data.invoiceId',
          value: 'inv_1',
          since: Date.now() - 60_000,
          until: waitsUntil,
        },
        steps: { 'invoke-score': { ...parent.steps['invoke-score'], childRunId: child.id } },
        onFailureRunId: child.id,
      });
      links.set(child.id, { parentRunId: parent.id, failureOf: parent.id });

      const p = await openPage(browser, url, problems);
      await signedIn(p, url, `?run=${encodeURIComponent(parent.id)}`);
      const wait = p.locator('#detail [data-waiting-for]');
      await wait.waitFor();
      expect(await wait.locator('strong').innerText()).toBe('event');
      expect(await wait.locator('[data-wait-field="event"]').innerText()).toContain('invoice/paid');
      expect(await wait.locator('[data-wait-field="match"]').innerText()).toContain('data.invoiceId');
      expect(await wait.locator('[data-wait-field="until"]').innerText()).toMatch(/in \d+ d/);
      expect(
        await p.locator('#detail .fact', { hasText: 'Failure handler' }).locator('[data-run-link]').getAttribute('data-run-link'),
      ).toBe(child.id);
      expect(await p.locator(`#run-steps [data-step="invoke-score"] [data-run-link="${child.id}"]`).count()).toBe(1);
      await p.screenshot({ path: `${screenshotDir()}dashboard-links.png` });

      // The step's link opens the child, whose facts link back to its parent.
      await p.click(`#run-steps [data-run-link="${child.id}"]`);
      await p.locator('#detail .d-id', { hasText: child.id }).waitFor();
      expect(new URL(p.url()).searchParams.get('run')).toBe(child.id);
      await p.locator('#detail .fact', { hasText: 'Invoked by' }).locator(`[data-run-link="${parent.id}"]`).click();
      await p.locator('#detail .d-id', { hasText: parent.id }).waitFor();
      expect(await p.locator(`#runs tr[data-run-id="${child.id}"] .tag`, { hasText: 'invoked' }).count()).toBe(1);
      await p.goBack();
      await p.locator('#detail .d-id', { hasText: child.id }).waitFor();
      expect(problems).toEqual([]);
      await p.close();
    },
    BROWSER_TEST_MS,
  );
});
