/**
 * A runtime with the dashboard in front of it, on a free loopback port, for
 * the browser tests; and one shared headless Chromium for a file's tests.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createRuntime, silentLogger, type Runtime, type RuntimeOptions } from '../../index.js';
import { createHttpHandler, type HttpHandlerOptions, type HttpRuntime } from '../../adapters/http/index.js';
import { eventideListener } from '../../adapters/node/index.js';
import { CHROMIUM } from './browser.js';

export const TOKEN = 'dashboard-team-token-0123456789';

/** Where screenshots go: docs/ when asked for (EVENTIDE_SCREENSHOTS=1), so a plain test run leaves the tree clean; a temp folder otherwise. */
export function screenshotDir(): string {
  const dir =
    process.env.EVENTIDE_SCREENSHOTS === '1'
      ? fileURLToPath(new URL('../../docs/', import.meta.url))
      : `${mkdtempSync(join(tmpdir(), 'eventide-shots-'))}/`;
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface Served {
  runtime: Runtime;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts `options` as a runtime (its own namespace), serves its dashboard, and returns the page's URL.
 * `wrap` may put something in front of the runtime the handler sees.
 */
export async function serve(
  options: RuntimeOptions,
  handlerOptions: Omit<HttpHandlerOptions, 'token'> = {},
  wrap?: (runtime: Runtime) => HttpRuntime,
): Promise<Served> {
  const runtime = createRuntime({
    logger: silentLogger,
    transport: 'memory://',
    namespace: `dash_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`,
    ...options,
  });
  await runtime.start();
  const handler = createHttpHandler(wrap ? wrap(runtime) : runtime, { token: TOKEN, ...handlerOptions });
  const server = createServer(eventideListener(handler));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    runtime,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/eventide/`,
    async close() {
      handler.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await runtime.stop({ timeoutMs: 1_000 });
    },
  };
}

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the dashboard test needs it (apt-get install -y chromium, or set CHROMIUM_PATH).`,
    );
  return chromium.launch({
    // Within the hook's timeout: a launch that outlived it would leave a browser nobody closes.
    timeout: 20_000,
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page that records script errors and requests outside the dashboard's API in `problems`. */
export async function openPage(browser: Browser, url: string, problems: string[], width = 1280, height = 860): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: 1 });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/\b(401|400)\b/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(url.replace(/\/$/, ''))) problems.push(`request outside the API: ${r.url()}`);
  });
  return page;
}

/** Opens `path` (relative to the dashboard's URL) signed in with the token, once the live stream is up. */
export async function signedIn(page: Page, url: string, path = ''): Promise<void> {
  await page.goto(url);
  await page.evaluate((t) => sessionStorage.setItem('eventide.token', t), TOKEN);
  await page.goto(url + path);
  await page.locator('#live.on').waitFor();
}

// Browser globals used in page.evaluate callbacks (the tsconfig has no DOM lib).
declare const sessionStorage: { setItem(key: string, value: string): void };
