// The analyzer's live page in a real headless Chromium: it loads, connects to the SSE feed, and updates as
// windows close: devices appear with their charts, the window counter grows, the hot device's alert shows.
//   node live-view-check.mjs URL EXPECTED_DEVICES HOT_DEVICE RESULT_FILE
// Prints "ready" once the page is live (the caller then sends events) and writes the outcome to RESULT_FILE.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [url, expectedDevices, hotDevice, resultFile] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic'],
  // Playwright starts Chromium with a fresh temporary --user-data-dir of its own.
});
const outcome = { ok: false, steps: [] };
try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('connection')?.textContent === 'live', null, { timeout: 20000 });
  outcome.steps.push('page loaded and connected to /api/live');
  const before = Number(await page.textContent('#windows-received'));
  console.log('ready');
  await page.waitForFunction((n) => document.querySelectorAll('#devices tr[data-device]').length >= n,
      Number(expectedDevices), { timeout: 120000 });
  const after = Number(await page.textContent('#windows-received'));
  outcome.steps.push(`windows received went from ${before} to ${after} without a reload`);
  const devices = await page.$$eval('#devices tr[data-device]', (rows) => rows.map((r) => r.dataset.device));
  outcome.steps.push(`devices shown: ${devices.length}`);
  const charts = await page.$$eval('#devices polyline', (lines) => lines.length);
  // The alert opens in the analyzer restarted after e2e.sh's kill, whose start took over 70 s on a loaded
  // 2-core machine; the page reconnects to it by itself. Wait as long as for the devices.
  await page.waitForSelector(`li[data-alert="cpu-hot/${hotDevice}"]`, { timeout: 120000 });
  outcome.steps.push(`open alert shown for ${hotDevice}; ${charts} device charts drawn`);
  await page.screenshot({ path: path.join(path.dirname(resultFile), 'live-view.png'), fullPage: true });
  outcome.ok = after > before && devices.length >= Number(expectedDevices) && devices.includes(hotDevice);
} catch (e) {
  outcome.steps.push(`failed: ${e.message.split('\n')[0]}`);
} finally {
  await browser.close();
  fs.writeFileSync(resultFile, JSON.stringify(outcome, null, 2));
}
process.exit(outcome.ok ? 0 : 1);
