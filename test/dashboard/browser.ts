/**
 * Chromium for the dashboard's browser tests: a browser of its own per test,
 * in a fresh profile, with the flags every test on this shared machine uses.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Each test starts a browser of its own; on a shared 2-core machine that alone can take 10 s. */
export const BROWSER_TEST_MS = 60_000;

/** Runs `use` in a new browser (fresh profile), closed and its profile removed whatever happens. Fails, never skips, without Chromium. */
export async function withBrowser(options: { bypassCSP?: boolean }, use: (context: BrowserContext) => Promise<void>): Promise<void> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the dashboard test needs it (apt-get install -y chromium, or set CHROMIUM_PATH).`,
    );
  const profile = mkdtempSync(join(tmpdir(), 'eventide-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      // Within the test's timeout: a launch that outlived it would leave a browser nobody closes.
      timeout: 20_000,
      executablePath: CHROMIUM,
      headless: true,
      bypassCSP: options.bypassCSP ?? false,
      viewport: { width: 1280, height: 860 },
      deviceScaleFactor: 1,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      await use(context);
    } finally {
      await context.close();
    }
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}
