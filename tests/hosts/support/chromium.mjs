// Debian's Chromium driven by playwright-core (never a downloaded browser).

import { chromium } from 'playwright-core';

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function launchChromium() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ARGS });
}

/**
 * Opens `url` in a fresh context and records the page's console and uncaught errors.
 * @returns {Promise<{ page: import('playwright-core').Page, console: Array<{ type: string, text: string }>,
 *   pageErrors: string[], close: () => Promise<void> }>}
 */
export async function openPage(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const messages = [];
  const pageErrors = [];
  page.on('console', (m) => messages.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => pageErrors.push(String(e?.stack ?? e)));
  await page.goto(url);
  await page.waitForFunction(() => typeof window.getToken === 'function');
  return { page, console: messages, pageErrors, close: () => context.close() };
}
