/**
 * The what-if examples with a page name write their table and plots as one self-contained
 * page; checked in a real headless Chromium (skipped without /usr/bin/chromium unless
 * LAPWING_REQUIRE_BROWSER=1): one bar per case in each bar chart, one line per case over time,
 * no errors, no network.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { runCli } from '../cli.ts';

const CHROMIUM = '/usr/bin/chromium';
const required = process.env.LAPWING_REQUIRE_BROWSER === '1';
const skip = !existsSync(CHROMIUM) && !required ? `${CHROMIUM} not found: browser test skipped (set LAPWING_REQUIRE_BROWSER=1 to fail instead)` : false;

test('what-if examples write their plots; Chromium draws one mark per case', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lapwing-whatif-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const auto = join(dir, 'autoscale.html');
    const a = await runCli(['run', 'examples/sim-autoscale.ts', '4096', '1024', '4', '5', auto]);
    assert.equal(a.code, 0, a.stderr);
    const blocks = join(dir, 'blocks.html');
    const b = await runCli(['run', 'examples/sim-block-size.ts', '2048', '4', blocks]);
    assert.equal(b.code, 0, b.stderr);
    for (const [file, cases, lines] of [[auto, 4, 4], [blocks, 3, 0]] as const) {
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      const url = pathToFileURL(file).href;
      page.on('request', (r) => { if (r.url() !== url) requests.push(r.url()); });
      await page.goto(url, { waitUntil: 'load' });
      assert.equal(await page.locator('#cases tbody tr').count(), cases);
      const charts = page.locator('svg.chart.bars');
      assert.ok((await charts.count()) >= 2);
      for (let i = 0; i < (await charts.count()); i++) {
        const bars = charts.nth(i).locator('rect.bar');
        assert.equal(await bars.count(), cases);
        const heights = await bars.evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('height'))));
        assert.ok(heights.every((h) => h > 0), `bar heights ${heights}`);
        const box = await charts.nth(i).boundingBox();
        assert.ok(box && box.width > 200 && box.height > 100);
      }
      assert.equal(await page.locator('svg.chart.executors path.series').count(), lines);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, []);
      await page.close();
    }
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
});
