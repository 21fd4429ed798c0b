/**
 * Renders reports in a real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core): no console errors, no network requests, the timeline's rows and marks match
 * the trace, hovering a mark shows its task. Saves test-results/report.png.
 *
 * Without /usr/bin/chromium the test is skipped with a message, unless LAPWING_REQUIRE_BROWSER=1
 * (CI), where a missing browser is a failure.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { renderReport } from '../../runtime/report/render.ts';
import { syntheticTrace } from './synthetic.ts';

const CHROMIUM = '/usr/bin/chromium';
const required = process.env.LAPWING_REQUIRE_BROWSER === '1';
const present = existsSync(CHROMIUM);
const skip = !present && !required ? `${CHROMIUM} not found: browser test skipped (set LAPWING_REQUIRE_BROWSER=1 to fail instead)` : false;
if (skip) process.stderr.write(`# ${skip}\n`);

const root = fileURLToPath(new URL('../..', import.meta.url));
let browser: Browser | undefined;
let dir = '';

before(async () => {
  if (skip) return;
  assert.ok(present, `${CHROMIUM} is missing and LAPWING_REQUIRE_BROWSER=1`);
  dir = await mkdtemp(join(tmpdir(), 'lapwing-report-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
});

after(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Opens `html` from a file:// URL, recording console errors, page errors and every request. */
async function open(name: string, html: string): Promise<{ page: Page; errors: string[]; requests: string[]; failed: string[] }> {
  const file = join(dir, name);
  await writeFile(file, html);
  const url = pathToFileURL(file).href;
  const page = await browser!.newPage({ viewport: { width: 1360, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  const failed: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
  page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors, requests, failed };
}

test('report in Chromium: rows, marks, tooltip, no errors, no network; screenshot', { skip }, async () => {
  const trace = syntheticTrace({ executors: 5, attempts: 240, retries: 3, samples: true });
  const executors = new Set(trace.attempts.map((a) => a.executor));
  const { page, errors, requests, failed } = await open('report.html', renderReport(trace, { source: 'run.jsonl' }));

  assert.equal(await page.locator('svg.timeline g.row').count(), executors.size);
  for (const e of executors) assert.equal(await page.locator(`svg.timeline g.row[data-executor="${e}"]`).count(), 1);
  assert.equal(await page.locator('svg.timeline rect.attempt').count(), trace.attempts.length);
  for (const e of executors) {
    const n = trace.attempts.filter((a) => a.executor === e).length;
    assert.equal(await page.locator(`g.row[data-executor="${e}"] rect.attempt`).count(), n, `marks of ${e}`);
  }
  assert.equal(await page.locator('rect.attempt.retry').count(), 6);

  // Hover a re-executed mark: the tooltip names the task, its attempt and its phases.
  const retried = trace.attempts.find((a) => a.attempt === 2)!;
  const mark = page.locator(`rect.attempt[data-task="${retried.task}"][data-attempt="2"]`);
  assert.equal(await mark.count(), 1);
  await mark.hover({ force: true });
  const tip = page.locator('#tip');
  await tip.waitFor({ state: 'visible' });
  const text = await tip.textContent();
  assert.ok(text?.includes(retried.task), `tooltip: ${text}`);
  assert.match(text ?? '', /attempt 2 · ok/);
  assert.match(text ?? '', /read .* · compute .* · write /);
  // The tooltip replaced the native titles.
  assert.equal(await page.locator('rect.attempt title').count(), 0);

  // Charts are drawn and sized.
  for (const sel of ['svg.chart.executors', 'svg.chart.gflops', 'svg.chart.kernels', 'svg.chart.critical']) {
    const box = await page.locator(sel).boundingBox();
    assert.ok(box && box.width > 200 && box.height > 40, `${sel} box ${JSON.stringify(box)}`);
  }

  await page.mouse.move(5, 5); // hide the tooltip for the full-page shot
  await mkdir(join(root, 'test-results'), { recursive: true });
  await page.screenshot({ path: join(root, 'test-results', 'report.png'), fullPage: true });
  await mark.hover({ force: true });
  await page.screenshot({ path: join(root, 'test-results', 'report-hover.png'), clip: { x: 0, y: 0, width: 1360, height: 700 } });

  assert.deepEqual(errors, []);
  assert.deepEqual(requests, []);
  assert.deepEqual(failed, []);
  await page.close();
});

test('a 100k-attempt report loads in Chromium without errors', { skip }, async () => {
  const trace = syntheticTrace({ executors: 64, attempts: 100_000, retries: 20, samples: true });
  const { page, errors, requests, failed } = await open('big.html', renderReport(trace));
  assert.equal(await page.locator('svg.timeline g.row').count(), 64);
  assert.equal(await page.locator('svg.timeline').getAttribute('data-attempts'), '100000');
  const rows = await page.locator('svg.timeline g.row').evaluateAll((gs) => gs.reduce((s, g) => s + Number(g.getAttribute('data-attempts')), 0));
  assert.equal(rows, 100_000);
  await page.screenshot({ path: join(root, 'test-results', 'report-100k.png'), clip: { x: 0, y: 0, width: 1360, height: 900 } });
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, []);
  assert.deepEqual(failed, []);
  await page.close();
});
