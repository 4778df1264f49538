/**
 * Hostile input in the dashboard, in headless Chromium against a real
 * runtime: functions whose event names, event data, step ids, log lines,
 * errors and outputs hold script and markup payloads (each would set
 * `window.__pwned` or the page's title if it ever ran), template syntax,
 * bidi overrides, zero-width characters and very long strings. The page
 * must show every one as the text it is: no script runs, no element is
 * added, and the text on screen is the payload, byte for byte. Checked once
 * with the page's Content-Security-Policy and once with Chromium told to
 * ignore it, so that the proof is the rendering code's, not the CSP's.
 * Needs Chromium: it fails, never skips, when Chromium is missing.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, defineFunction, silentLogger, type Runtime } from '../../index.js';
import { createHttpHandler, type HttpHandler } from '../../adapters/http/index.js';
import { eventideListener } from '../../adapters/node/index.js';
import { until } from '../conformance/transport.suite.js';
import { BROWSER_TEST_MS, CHROMIUM, withBrowser } from './browser.js';

// Browser globals used in page.evaluate callbacks (the tsconfig has no DOM lib).
declare const sessionStorage: { setItem(key: string, value: string): void };
declare const window: { __pwned?: unknown; getComputedStyle(el: unknown): { unicodeBidi: string } };
declare const document: {
  title: string;
  documentElement: { scrollWidth: number };
  querySelectorAll(selector: string): ArrayLike<BrowserElement>;
};
interface BrowserElement {
  tagName: string;
  textContent: string | null;
  attributes: ArrayLike<{ name: string; value: string }>;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { left: number; right: number };
  childNodes: ArrayLike<{ nodeType: number; textContent: string | null }>;
}

const TOKEN = 'hostile-dashboard-token-0123456789';

// Each would set window.__pwned or the title if it were ever parsed as HTML or run.
const markup = [
  '<script>window.__pwned="script";document.title="pwned"</script>',
  "<img src=x onerror=\"window.__pwned='img';document.title='pwned'\">",
  'javascript:window.__pwned="url";document.title="pwned"//',
  '"><svg onload="window.__pwned=\'svg\'">',
  "'><iframe srcdoc=\"<script>parent.__pwned='iframe'</script>\"></iframe>",
  '</pre></div></td><b id=injected>bold</b><a href="javascript:window.__pwned=1">click</a>',
  '${window.__pwned="template"}{{constructor.constructor("window.__pwned=\'angular\'")()}}',
  '<style>body{display:none}</style><meta http-equiv="refresh" content="0;url=javascript:window.__pwned=1">',
];
// U+202E (right-to-left override, unterminated) would reverse whatever follows it in the same run of text.
const bidi = '\u202Ereversed? \u200Bzero\u200Dwidth\uFEFF \u2066isolate\u2069 عربي';
const long = `<b>${'x'.repeat(20_000)}</b>`;
const text = [...markup, bidi, long];
// Step ids have no whitespace and at most 200 characters.
const stepIds = [
  '<img/src=x/onerror=window.__pwned="step">',
  '"><svg/onload=window.__pwned="step-svg">',
  'javascript:window.__pwned="step-url"',
  '${window.__pwned="t"}{{7*7}}',
  '\u202Epets\u200B',
  `<b>${'s'.repeat(190)}`,
];
const eventName = `evil/<img src=x onerror="window.__pwned='name';document.title='pwned'">\u202E${'n'.repeat(3_000)}`;
const outputName = 'evil/output<script>window.__pwned="output"</script>';
const errorName = '<img src=x onerror=window.__pwned="error-name">';
const letterName = `evil/letter\u202E<svg onload="window.__pwned='letter'">`;
const data = Object.fromEntries(text.map((t, i) => [`${i}${t.slice(0, 60)}`, t]));

const functions = [
  defineFunction({ id: 'hostile-steps', trigger: { event: eventName }, retries: 0 }, async ({ step, logger }) => {
    for (const id of stepIds) await step.run(id, () => id);
    for (const t of text) logger.info(t, { [t.slice(0, 80)]: t });
    await step.run('explode', () => {
      const e = new Error(markup[1] + bidi + long);
      e.name = errorName;
      throw e;
    });
  }),
  defineFunction({ id: 'hostile-output', trigger: { event: outputName } }, async () => ({ text, markup: markup.join('') })),
  // A trigger condition that throws dead-letters the event, with the error's message in the reason.
  defineFunction(
    {
      id: 'hostile-filter',
      trigger: {
        event: letterName,
        if: () => {
          throw new Error(markup[3] + bidi + long);
        },
      },
    },
    async () => {},
  ),
];

describe('dashboard: hostile input renders as text', () => {
  let runtime: Runtime;
  let handler: HttpHandler;
  let server: ReturnType<typeof createServer>;
  let url: string;
  let failedRunId: string;
  let outputRunId: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) return; // each test then fails with the reason (never skips)
    runtime = createRuntime({
      logger: silentLogger,
      transport: 'memory://',
      namespace: `hostile_dash_${process.pid}_${Date.now().toString(36)}`,
      functions,
    });
    await runtime.start();
    handler = createHttpHandler(runtime, { token: TOKEN });
    server = createServer(eventideListener(handler));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/eventide/`;
    await runtime.send([
      { name: eventName, data },
      { name: outputName, data: { [markup[0]]: markup[2] } },
      { name: letterName, data: {} },
    ]);
    await until(
      async () =>
        (await runtime.listRuns({ functionId: 'hostile-steps', status: 'failed' })).length === 1 &&
        (await runtime.listRuns({ functionId: 'hostile-output', status: 'succeeded' })).length === 1 &&
        (await runtime.deadLetters()).length === 1,
      15_000,
      'the hostile runs to end',
    );
    [{ id: failedRunId }] = await runtime.listRuns({ functionId: 'hostile-steps' });
    [{ id: outputRunId }] = await runtime.listRuns({ functionId: 'hostile-output' });
  });

  afterAll(async () => {
    handler?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    await runtime?.stop({ timeoutMs: 1_000 });
  });

  async function openDashboard(context: BrowserContext, problems: string[]): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    // A blocked inline handler or script shows up here as a CSP report: markup was interpreted.
    page.on('console', (m) => {
      // The page's first requests, before it has the token, are answered 401.
      if ((m.type() === 'error' || m.type() === 'warning') && !m.text().includes('401')) problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(url.replace(/\/$/, ''))) problems.push(`request outside the API: ${r.url()}`);
    });
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(url);
    await page.evaluate((t) => sessionStorage.setItem('eventide.token', t), TOKEN);
    await page.reload();
    await page.locator('#live.on').waitFor();
    return page;
  }

  // The elements the dashboard itself makes; anything else in the DOM came from a payload.
  const ownTags = new Set(
    (
      'html head meta title link style script body header div span button main aside section h2 ul li select option table ' +
      'colgroup col thead tr th tbody td dialog form h3 p input strong details summary pre label textarea datalist svg rect'
    ).split(' '),
  );

  async function expectNothingRan(page: Page, problems: string[]): Promise<void> {
    const found = await page.evaluate(() => {
      const all = Array.from(document.querySelectorAll('*'));
      return {
        pwned: window.__pwned,
        title: document.title,
        tags: [...new Set(all.map((el) => el.tagName.toLowerCase()))],
        scripts: document.querySelectorAll('script').length,
        handlers: all.flatMap((el) =>
          Array.from(el.attributes)
            .filter((a) => /^on/i.test(a.name) || /^(href|src|srcdoc|action|formaction|style)$/i.test(a.name))
            .map((a) => `${el.tagName.toLowerCase()}[${a.name}]`),
        ),
        // The sparklines are the page's own SVG (data-spark); any other would have come from a payload.
        injected: document.querySelectorAll('#injected, img, svg:not([data-spark]), iframe, a, b, object, embed, base').length,
      };
    });
    expect(found.pwned).toBeUndefined();
    expect(found.title).toBe('eventide');
    expect(found.tags.filter((t) => !ownTags.has(t))).toEqual([]);
    expect(found.scripts).toBe(1);
    // The page's own: the icon link's href; the timeline bars' left/width are set through the CSSOM, not markup.
    expect(found.handlers.filter((h) => h !== 'link[href]' && h !== 'div[style]')).toEqual([]);
    expect(found.injected).toBe(0);
    expect(problems).toEqual([]);
  }

  async function texts(page: Page, selector: string): Promise<string[]> {
    return page.locator(selector).evaluateAll((els) => els.map((el) => el.textContent ?? ''));
  }

  for (const bypassCSP of [false, true]) {
    it(
      `shows names, data, steps, logs, errors and output as their exact text (${bypassCSP ? 'CSP ignored' : 'with CSP'})`,
      async () => {
        await withBrowser({ bypassCSP }, async (context) => {
          const problems: string[] = [];
          const page = await openDashboard(context, problems);

          // Recent events and the runs table.
          await page.locator('#events .ev-name').first().waitFor();
          expect(await texts(page, '#events .ev-name')).toEqual(expect.arrayContaining([eventName, outputName]));
          const row = page.locator(`#runs tr[data-run-id="${failedRunId}"]`);
          await row.waitFor();
          expect(await row.locator('.c-sub').evaluate((el) => el.textContent)).toContain(eventName);
          expect(await row.locator('.c-sub').getAttribute('title')).toBe(`\u2068${eventName}\u2069 · ${failedRunId}`);
          await page.locator('#dl-card:not([hidden])').waitFor();
          const [letter] = await runtime.deadLetters();
          expect(await texts(page, '#dead-letters .dl > div:first-child')).toEqual([letter.reason]);
          expect(letter.reason).toContain(markup[3] + bidi + long);
          expect(await page.locator('#dead-letters .dl .faint').evaluate((el) => el.textContent)).toContain(letterName);
          expect(await texts(page, '#functions .fn-meta span:first-child')).toEqual(
            expect.arrayContaining([`on ${eventName}`, `on ${outputName}`]),
          );

          // The failed run: steps, logs, error, event data.
          await row.click();
          await page.locator('#detail .d-id', { hasText: failedRunId }).waitFor();
          await page.locator('#run-steps .step').nth(stepIds.length).waitFor();
          expect(await texts(page, '#run-steps .step-name .n')).toEqual([...stepIds, 'explode']);
          expect(await page.locator('#run-steps .step').evaluateAll((els) => els.map((el) => el.getAttribute('data-step')))).toEqual([
            ...stepIds,
            'explode',
          ]);
          expect(await texts(page, '#run-logs .msg')).toEqual(text);
          expect(await texts(page, '#run-steps .step-err')).toEqual([`✕ ${errorName}: ${markup[1]}${bidi}${long}`]);
          const run = await runtime.getRun(failedRunId);
          expect(await page.locator('#run-error').evaluate((el) => el.textContent)).toContain(
            `${run?.error?.name}: ${run?.error?.message}`,
          );
          expect(await texts(page, '#detail .d-sec pre')).toContain(JSON.stringify(data, null, 2));
          await expectNothingRan(page, problems);

          // Long strings wrap or are cut inside their boxes: nothing is wider than the window.
          expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);

          // The other run: its output.
          await page.locator(`#runs tr[data-run-id="${outputRunId}"]`).click();
          await page.locator('#run-output').waitFor();
          expect(await page.locator('#run-output').evaluate((el) => el.textContent)).toBe(
            JSON.stringify({ text, markup: markup.join('') }, null, 2),
          );
          await expectNothingRan(page, problems);
          await page.setViewportSize({ width: 390, height: 844 });
          await page.waitForTimeout(100);
          expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
        });
      },
      BROWSER_TEST_MS,
    );
  }

  it(
    'keeps a bidi override inside the value that carries it',
    async () => {
      await withBrowser({}, async (context) => {
        const problems: string[] = [];
        const page = await openDashboard(context, problems);
        const row = page.locator(`#runs tr[data-run-id="${failedRunId}"]`);
        await row.waitFor();
        await row.click();
        await page.locator('#run-steps .step-err').waitFor();
        // Each text that holds the override is alone in an element that isolates it: it cannot reorder a neighbour (a run id, a label).
        const holders = await page.evaluate(() =>
          Array.from(document.querySelectorAll('body *'))
            .filter((el) => Array.from(el.childNodes).some((n) => n.nodeType === 3 && (n.textContent ?? '').includes('\u202E')))
            .map((el) => ({
              what: `${el.tagName.toLowerCase()}.${el.getAttribute('class') ?? ''} ${JSON.stringify((el.textContent ?? '').slice(0, 30))}`,
              isolated: ['isolate', 'isolate-override', 'plaintext'].includes(window.getComputedStyle(el).unicodeBidi),
              alone: el.childNodes.length === 1,
            })),
        );
        expect(holders.filter((h) => !h.isolated || !h.alone)).toEqual([]);
        // The check looked at something: the event name, steps, logs, error and data all carry the override.
        expect(holders.length).toBeGreaterThan(10);
        // And on screen: in the runs table the run id still comes after the event name that ends in an override.
        const [name, id] = await row
          .locator('.c-sub > span')
          .evaluateAll((els) => els.slice(0, 3).map((el) => el.getBoundingClientRect()))
          .then((rects) => [rects[0], rects[2]]);
        expect(id.left).toBeGreaterThanOrEqual(name.right);
        expect(problems).toEqual([]);
      });
    },
    BROWSER_TEST_MS,
  );
});
